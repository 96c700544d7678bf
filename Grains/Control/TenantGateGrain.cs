using Grains.Hosting;
using Grains.Pipeline;
using Orleans.Runtime;
using Streaming.Kafka.Events;

namespace Grains.Control;

[GenerateSerializer, Immutable]
public sealed record TenantGateStatus(
    [property: Id(0)] string TenantId,
    [property: Id(1)] bool Paused,
    [property: Id(2)] string? By,
    [property: Id(3)] DateTimeOffset? Since,
    [property: Id(4)] string? Reason,
    [property: Id(5)] int Waiting);

public interface ITenantGateGrain : IGrainWithStringKey
{
    /// <summary>
    /// Called by the tier router for each of the tenant's turns: true to pass it to the model; false
    /// when the tenant is paused, in which case the turn is parked (kept here and on
    /// <c>agent.requests.parked</c>) until resume.
    /// </summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("admit")] Task<bool> Admit(ChatTurn turn);

    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("status"), Orleans.Concurrency.ReadOnly] Task<TenantGateStatus> Status();

    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("pause")] Task Pause(string by, string? reason);

    /// <summary>Sends the parked turns on to the model in the order they arrived, then admits new ones.</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Switch)] [Alias("resume")] Task<int> Resume(string by);
}

/// <summary>
/// Soft stop for one tenant: its turns stop before the model (other tenants on the same topics go on)
/// and wait, in order, until an operator resumes. One grain per tenant decides, one call at a time, so
/// a turn arriving while resume runs is either parked and sent by it, or admitted after it: never lost.
/// </summary>
public sealed class TenantGateGrain(
    [PersistentState("gate", GrainStores.Control)] IPersistentState<TenantGateState> state,
    TimeProvider time) : Grain, ITenantGateGrain
{
    public async Task<bool> Admit(ChatTurn turn)
    {
        if (!state.State.Paused) return true;
        if (state.State.Parked.Any(t => t.TurnId == turn.TurnId)) return false; // redelivered
        // On Kafka first (acks=all), so the parked turn is on the log before it is acknowledged here.
        await this.GetStreamProvider(Stage.TierRouter.Name)
            .GetStream<CloudEvent>(StreamId.Create(Topics.AgentRequestsParked, turn.SessionId))
            .OnNextAsync(ChatEvents.For(turn, ChatEventTypes.AgentRequested, "parked", "/control/tenants/" + turn.TenantId));
        state.State.Parked.Add(turn);
        await state.WriteOrDropAsync(this);
        return false;
    }

    public Task<TenantGateStatus> Status() => Task.FromResult(new TenantGateStatus(
        this.GetPrimaryKeyString(), state.State.Paused, state.State.By, state.State.Since, state.State.Reason, state.State.Parked.Count));

    public async Task Pause(string by, string? reason)
    {
        if (state.State.Paused) return;
        state.State.Paused = true;
        state.State.By = by;
        state.State.Since = time.GetUtcNow();
        state.State.Reason = reason;
        await state.WriteOrDropAsync(this);
    }

    public async Task<int> Resume(string by)
    {
        var provider = this.GetStreamProvider(Stage.TierRouter.Name);
        var sent = 0;
        // One at a time, removing each once it is on Kafka: a failure part-way keeps the rest parked.
        while (state.State.Parked.Count > 0)
        {
            var turn = state.State.Parked[0];
            await provider.GetStream<CloudEvent>(StreamId.Create(Topics.AgentRequestsFor(turn.Tier), turn.SessionId))
                .OnNextAsync(ChatEvents.For(turn, ChatEventTypes.AgentRequested, "request", "/stages/" + Stage.TierRouter.Name));
            state.State.Parked.RemoveAt(0);
            sent++;
        }
        state.State.Paused = false;
        state.State.By = by;
        state.State.Since = time.GetUtcNow();
        state.State.Reason = null;
        await state.WriteOrDropAsync(this);
        return sent;
    }
}

[GenerateSerializer]
public sealed class TenantGateState
{
    [Id(0)] public bool Paused { get; set; }
    [Id(1)] public string? By { get; set; }
    [Id(2)] public DateTimeOffset? Since { get; set; }
    [Id(3)] public string? Reason { get; set; }
    [Id(4)] public List<ChatTurn> Parked { get; set; } = [];
}
