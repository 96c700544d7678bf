using Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace Grains.Triggers;

/// <summary>
/// The cluster's triggers (one grain): definitions, versioned, in the <c>control</c> store (an operator's switches,
/// like the stage pauses), and what each trigger did, as the silos that run it report it. The API, the page and the
/// runners call it; the runners poll <see cref="GetSet"/> (a read-only, interleaving call) and compare versions.
/// </summary>
public interface ITriggerRegistryGrain : IGrainWithIntegerKey
{
    [ResponseTimeout(CallTimeouts.Call)] [Alias("set"), Orleans.Concurrency.ReadOnly] Task<TriggerSet> GetSet();

    /// <summary>Stores a new trigger and sets its consumer group's start offsets; throws <see cref="ArgumentException"/> for a bad spec.</summary>
    [ResponseTimeout(CallTimeouts.Switch)] [Alias("create")] Task<TriggerDefinition> Create(TriggerSpec spec, string by);

    /// <summary>False when there is no such trigger.</summary>
    [ResponseTimeout(CallTimeouts.Call)] [Alias("pause")] Task<bool> Pause(string id, string by);
    [ResponseTimeout(CallTimeouts.Call)] [Alias("resume")] Task<bool> Resume(string id, string by);
    [ResponseTimeout(CallTimeouts.Call)] [Alias("delete")] Task<bool> Delete(string id, string by);

    [ResponseTimeout(CallTimeouts.Call)] [Alias("stats"), Orleans.Concurrency.ReadOnly] Task<IReadOnlyDictionary<string, TriggerStats>> GetStats();

    /// <summary>A runner's counts since its last report (one-way: a lost report loses only figures, never events).</summary>
    [Alias("report"), Orleans.Concurrency.OneWay] Task Report(string id, TriggerStats delta);
}

public sealed class TriggerRegistryGrain(
    [PersistentState("triggers", GrainStores.Control)] IPersistentState<TriggerRegistryState> state,
    IServiceProvider services,
    TimeProvider time,
    ILogger<TriggerRegistryGrain> logger) : Grain, ITriggerRegistryGrain
{
    public Task<TriggerSet> GetSet() => Task.FromResult(new TriggerSet(state.State.Version, state.State.Triggers.ToList()));

    public async Task<TriggerDefinition> Create(TriggerSpec spec, string by)
    {
        if (spec.Validate() is { Count: > 0 } errors)
            throw new ArgumentException(string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")), nameof(spec));
        var id = Guid.NewGuid().ToString("N")[..12];
        var definition = new TriggerDefinition { Id = id, Spec = spec, CreatedBy = by, CreatedAt = time.GetUtcNow() };
        // Before it is stored (and so before any runner sees it): "now" is the end of each partition at this moment,
        // committed as the group's offsets, so no event written after Create returns is missed however late a silo starts it.
        await TriggerOffsets.For(services).SetStartAsync(definition);
        state.State.Triggers.Add(definition);
        state.State.Version++;
        await state.WriteOrDropAsync(this);
        logger.LogInformation("Trigger {Id} '{Name}' created by {By}: {Topics} → {Destination}, from {Start}", id, spec.Name, by, spec.Topics, spec.Destination, spec.Start);
        return definition;
    }

    public Task<bool> Pause(string id, string by) => Change(id, by, d => d with { Paused = true });

    public Task<bool> Resume(string id, string by) => Change(id, by, d => d with { Paused = false });

    public async Task<bool> Delete(string id, string by)
    {
        if (state.State.Triggers.RemoveAll(t => t.Id == id) == 0) return false;
        state.State.Version++;
        await state.WriteOrDropAsync(this);
        _stats.Remove(id);
        logger.LogInformation("Trigger {Id} deleted by {By}", id, by);
        return true;
    }

    private async Task<bool> Change(string id, string by, Func<TriggerDefinition, TriggerDefinition> change)
    {
        var index = state.State.Triggers.FindIndex(t => t.Id == id);
        if (index < 0) return false;
        state.State.Triggers[index] = change(state.State.Triggers[index]) with { ChangedBy = by, ChangedAt = time.GetUtcNow() };
        state.State.Version++;
        await state.WriteOrDropAsync(this);
        logger.LogInformation("Trigger {Id} {State} by {By}", id, state.State.Triggers[index].Paused ? "paused" : "resumed", by);
        return true;
    }

    // Figures live in memory: they restart at zero with this grain's activation (the events are in Kafka; lag is read there).
    private readonly Dictionary<string, TriggerStats> _stats = [];

    public Task<IReadOnlyDictionary<string, TriggerStats>> GetStats() =>
        Task.FromResult<IReadOnlyDictionary<string, TriggerStats>>(new Dictionary<string, TriggerStats>(_stats));

    public Task Report(string id, TriggerStats delta)
    {
        if (state.State.Triggers.All(t => t.Id != id)) return Task.CompletedTask;
        var s = _stats.GetValueOrDefault(id) ?? TriggerStats.None;
        var newer = delta.LastErrorAt is { } at && (s.LastErrorAt is null || at >= s.LastErrorAt);
        _stats[id] = new TriggerStats
        {
            Delivered = s.Delivered + delta.Delivered,
            DeadLettered = s.DeadLettered + delta.DeadLettered,
            FailedAttempts = s.FailedAttempts + delta.FailedAttempts,
            Skipped = s.Skipped + delta.Skipped,
            LastError = newer ? delta.LastError : s.LastError,
            LastErrorAt = newer ? delta.LastErrorAt : s.LastErrorAt,
            LastDeliveredAt = delta.LastDeliveredAt > s.LastDeliveredAt || s.LastDeliveredAt is null ? delta.LastDeliveredAt ?? s.LastDeliveredAt : s.LastDeliveredAt,
        };
        return Task.CompletedTask;
    }
}

[GenerateSerializer]
public sealed class TriggerRegistryState
{
    [Id(0)] public long Version { get; set; }
    [Id(1)] public List<TriggerDefinition> Triggers { get; set; } = [];
}
