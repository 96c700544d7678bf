using Grains.Hosting;
using Grains.Pipeline;
using Microsoft.Extensions.Logging;
using Orleans.Providers.Streams.Common;
using Orleans.Runtime;

namespace Grains.Control;

[GenerateSerializer, Immutable]
public sealed record StageControl(
    [property: Id(0)] string Stage,
    [property: Id(1)] bool Paused,
    [property: Id(2)] string? By,
    [property: Id(3)] DateTimeOffset? Since,
    [property: Id(4)] string? Reason);

/// <summary>Who switched what, when and why: the control room's audit trail.</summary>
[GenerateSerializer, Immutable]
public sealed record ControlChange(
    [property: Id(0)] string Stage,
    [property: Id(1)] string Action,
    [property: Id(2)] string By,
    [property: Id(3)] DateTimeOffset At,
    [property: Id(4)] string? Reason);

public interface IControlGrain : IGrainWithIntegerKey
{
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("stages")] Task<IReadOnlyList<StageControl>> GetStages();

    /// <summary>
    /// Soft stop: the stage's consumers stop on every silo; its events wait in Kafka with their
    /// offsets where they were. Recorded first, so a silo that starts meanwhile keeps it stopped.
    /// </summary>
    [ResponseTimeout(Hosting.CallTimeouts.Switch)] [Alias("pause")] Task PauseStage(string stage, string by, string? reason);

    /// <summary>Starts the stage's consumers on every silo; they continue at the committed offsets.</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Switch)] [Alias("resume")] Task ResumeStage(string stage, string by);

    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("history")] Task<IReadOnlyList<ControlChange>> GetHistory();

    /// <summary>Every change made up to <paramref name="to"/>, oldest first: what was in force at any time before it (audit).</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("history-until"), Orleans.Concurrency.ReadOnly] Task<IReadOnlyList<ControlChange>> GetHistoryUntil(DateTimeOffset to);

    /// <summary>Soft stop for one tenant: its turns wait before the model; other tenants go on.</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Switch)] [Alias("pause-tenant")] Task PauseTenant(string tenantId, string by, string? reason);

    /// <summary>Sends the tenant's waiting turns on in order; returns how many.</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Switch)] [Alias("resume-tenant")] Task<int> ResumeTenant(string tenantId, string by);

    /// <summary>
    /// Hard stop: from now on every answer in the scope (all, tenant:ID, tier:NAME) is held for a
    /// person's approval instead of being sent. Switching it off applies to the next answer.
    /// </summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("set-hold")] Task SetHold(string scope, bool on, string by, string? reason);

    /// <summary>Read on every answer; read-only so reads interleave.</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("holds"), Orleans.Concurrency.ReadOnly] Task<IReadOnlyCollection<string>> GetHolds();
}

/// <summary>Owns the platform's stop switches (one grain: switched rarely, read at silo start).</summary>
public sealed class ControlGrain(
    [PersistentState("control", GrainStores.Control)] IPersistentState<ControlState> state,
    TimeProvider time,
    ILogger<ControlGrain> logger) : Grain, IControlGrain
{
    public Task<IReadOnlyList<StageControl>> GetStages() => Task.FromResult<IReadOnlyList<StageControl>>(
        Stage.All.Select(s => state.State.Paused.GetValueOrDefault(s.Name) ?? new StageControl(s.Name, false, null, null, null)).ToList());

    public async Task PauseStage(string stage, string by, string? reason)
    {
        Known(stage);
        var now = time.GetUtcNow();
        state.State.Paused[stage] = new StageControl(stage, true, by, now, reason);
        state.State.History.Add(new ControlChange(stage, "pause", by, now, reason));
        await state.WriteOrDropAsync(this);
        await SendToAllSilos(stage, PersistentStreamProviderCommand.StopAgents);
    }

    public async Task ResumeStage(string stage, string by)
    {
        Known(stage);
        state.State.Paused.Remove(stage);
        state.State.History.Add(new ControlChange(stage, "resume", by, time.GetUtcNow(), null));
        await state.WriteOrDropAsync(this);
        await SendToAllSilos(stage, PersistentStreamProviderCommand.StartAgents);
    }

    public async Task SetHold(string scope, bool on, string by, string? reason)
    {
        if (!HoldScope.IsValid(scope))
            throw new ArgumentException($"Unknown hold scope '{scope}': use all, tenant:ID or tier:free|pro|enterprise.", nameof(scope));
        if (on) state.State.Holds.Add(scope); else state.State.Holds.Remove(scope);
        state.State.History.Add(new ControlChange(scope, on ? "hold answers" : "release hold", by, time.GetUtcNow(), reason));
        await state.WriteOrDropAsync(this);
    }

    public async Task PauseTenant(string tenantId, string by, string? reason)
    {
        if (await GrainFactory.GetGrain<Tenants.ITenantGrain>(tenantId).GetProfile() is null)
            throw new ArgumentException($"Unknown tenant '{tenantId}'.", nameof(tenantId));
        await GrainFactory.GetGrain<ITenantGateGrain>(tenantId).Pause(by, reason);
        state.State.History.Add(new ControlChange(HoldScope.Tenant(tenantId), "pause tenant", by, time.GetUtcNow(), reason));
        await state.WriteOrDropAsync(this);
    }

    public async Task<int> ResumeTenant(string tenantId, string by)
    {
        var sent = await GrainFactory.GetGrain<ITenantGateGrain>(tenantId).Resume(by);
        state.State.History.Add(new ControlChange(HoldScope.Tenant(tenantId), "resume tenant", by, time.GetUtcNow(), $"{sent} waiting turns sent on"));
        await state.WriteOrDropAsync(this);
        return sent;
    }

    public Task<IReadOnlyCollection<string>> GetHolds() => Task.FromResult<IReadOnlyCollection<string>>(state.State.Holds.ToList());

    public Task<IReadOnlyList<ControlChange>> GetHistoryUntil(DateTimeOffset to) =>
        Task.FromResult<IReadOnlyList<ControlChange>>(state.State.History.Where(c => c.At <= to).ToList());

    public Task<IReadOnlyList<ControlChange>> GetHistory() =>
        Task.FromResult<IReadOnlyList<ControlChange>>(state.State.History.AsEnumerable().Reverse().Take(200).ToList());

    private async Task SendToAllSilos(string stage, PersistentStreamProviderCommand command)
    {
        try
        {
            await GrainFactory.GetGrain<IManagementGrain>(0).SendControlCommandToProvider<PersistentStreamProvider>(stage, (int)command);
        }
        catch (ArgumentException ex)
        {
            // A silo still starting has no agent manager yet; the others executed the command, and the
            // starting silo reads the recorded switch in its start-up task.
            logger.LogWarning(ex, "{Command} for stage {Stage} did not reach a silo that is still starting; it will apply the recorded state", command, stage);
        }
    }

    private static void Known(string stage)
    {
        if (Stage.All.All(s => s.Name != stage))
            throw new ArgumentException($"Unknown stage '{stage}' (stages: {string.Join(", ", Stage.All.Select(s => s.Name))}).", nameof(stage));
    }
}

[GenerateSerializer]
public sealed class ControlState
{
    [Id(0)] public Dictionary<string, StageControl> Paused { get; set; } = [];
    [Id(1)] public List<ControlChange> History { get; set; } = [];
    [Id(2)] public HashSet<string> Holds { get; set; } = [];
}
