using Grains.Pipeline;
using Orleans.Runtime;
using Streaming.Kafka.Events;

namespace Grains.Approvals;

/// <summary>An answer waiting for a person, with what caused the hold.</summary>
[GenerateSerializer, Immutable]
public sealed record ApprovalItem(
    [property: Id(0)] ChatTurn Turn,
    [property: Id(1)] DateTimeOffset HeldAt);

[GenerateSerializer, Immutable]
public sealed record ApprovalDecision(
    [property: Id(0)] bool Applied,
    [property: Id(1)] string Outcome,
    [property: Id(2)] string? DecidedBy,
    [property: Id(3)] DateTimeOffset? DecidedAt,
    [property: Id(4)] string Message);

/// <summary>A moderator's screen watching a queue. One-way: a slow browser never blocks the queue.</summary>
public interface IApprovalQueueObserver : IGrainObserver
{
    [Orleans.Concurrency.OneWay, Alias("changed")] Task OnQueueChanged();
}

public interface IApprovalQueueGrain : IGrainWithStringKey
{
    /// <summary>Watch the queue; call again within two minutes to stay subscribed.</summary>
    [Alias("subscribe")] Task Subscribe(IApprovalQueueObserver observer);

    [Alias("unsubscribe")] Task Unsubscribe(IApprovalQueueObserver observer);

    /// <summary>Adds a held answer; adding the same turn again changes nothing (redelivery).</summary>
    [Alias("add")] Task Add(ApprovalItem item);

    [Alias("pending")] Task<IReadOnlyList<ApprovalItem>> Pending();

    /// <summary>Sends the answer (or the moderator's edit of it). Applies once: later actors are told who decided.</summary>
    [Alias("approve")] Task<ApprovalDecision> Approve(string turnId, string by, string? editedAnswer = null);

    /// <summary>Withholds the answer; the customer gets the replacement text, else the tenant's fallback.</summary>
    [Alias("reject")] Task<ApprovalDecision> Reject(string turnId, string by, string reason, string replacement);
}

/// <summary>
/// One team's queue of held answers (keyed by team, e.g. "review"). A decision applies exactly once:
/// the grain handles one call at a time, and the conversation applies a decided turn only once even if
/// the decision event is redelivered.
/// </summary>
public sealed class ApprovalQueueGrain(
    [PersistentState("queue", "approvals")] IPersistentState<ApprovalQueueState> state,
    TimeProvider time) : Grain, IApprovalQueueGrain
{
    private readonly ObserverLeases<IApprovalQueueObserver> _observers = new(time, TimeSpan.FromMinutes(2));

    public Task Subscribe(IApprovalQueueObserver observer)
    {
        _observers.Subscribe(observer);
        return Task.CompletedTask;
    }

    public Task Unsubscribe(IApprovalQueueObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    private void NotifyObservers() => _observers.Notify(o => o.OnQueueChanged());

    public async Task Add(ApprovalItem item)
    {
        if (state.State.Items.ContainsKey(item.Turn.TurnId)) return;
        state.State.Items[item.Turn.TurnId] = new ApprovalEntry { Item = item };
        await state.WriteStateAsync();
        NotifyObservers();
    }

    public Task<IReadOnlyList<ApprovalItem>> Pending() => Task.FromResult<IReadOnlyList<ApprovalItem>>(
        state.State.Items.Values.Where(e => e.Outcome is null).Select(e => e.Item).OrderBy(i => i.HeldAt).ToList());

    public Task<ApprovalDecision> Approve(string turnId, string by, string? editedAnswer = null) =>
        DecideAsync(turnId, by, "approved", entry => entry.Item.Turn with
        {
            Answer = string.IsNullOrWhiteSpace(editedAnswer) ? entry.Item.Turn.Answer : editedAnswer,
            DecidedBy = by,
        }, Topics.AgentResponsesApproved, ChatEventTypes.ResponseApproved);

    public Task<ApprovalDecision> Reject(string turnId, string by, string reason, string replacement) =>
        DecideAsync(turnId, by, "rejected", entry => entry.Item.Turn with
        {
            Answer = replacement,
            DecidedBy = by,
            Verdict = new Verdict("approval", VerdictDecision.Flag, "moderator.rejected", reason, replacement),
        }, Topics.AgentResponsesRejected, ChatEventTypes.ResponseRejected);

    private async Task<ApprovalDecision> DecideAsync(string turnId, string by, string outcome, Func<ApprovalEntry, ChatTurn> decided, string topic, string type)
    {
        if (!state.State.Items.TryGetValue(turnId, out var entry))
            return new ApprovalDecision(false, "unknown", null, null, $"No held answer {turnId} in the {this.GetPrimaryKeyString()} queue.");
        if (entry.Outcome is not null)
            return new ApprovalDecision(false, entry.Outcome, entry.DecidedBy, entry.DecidedAt,
                $"Already {entry.Outcome} by {entry.DecidedBy} at {entry.DecidedAt:HH:mm:ss}.");

        var turn = decided(entry);
        // Publish first: if the state write then fails, a retry publishes again and the conversation
        // applies the turn once; the reverse order could record a decision the customer never gets.
        await this.GetStreamProvider(Stage.Delivery.Name)
            .GetStream<CloudEvent>(StreamId.Create(topic, turn.SessionId))
            .OnNextAsync(ChatEvents.For(turn, type, outcome, "/approvals/" + this.GetPrimaryKeyString()));
        entry.Outcome = outcome;
        entry.DecidedBy = by;
        entry.DecidedAt = time.GetUtcNow();
        entry.FinalText = turn.Answer;
        await state.WriteStateAsync();
        NotifyObservers();
        return new ApprovalDecision(true, outcome, by, entry.DecidedAt, $"{char.ToUpperInvariant(outcome[0])}{outcome[1..]}: the customer gets the answer now.");
    }
}

[GenerateSerializer]
public sealed class ApprovalEntry
{
    [Id(0)] public ApprovalItem Item { get; set; } = null!;
    [Id(1)] public string? Outcome { get; set; }
    [Id(2)] public string? DecidedBy { get; set; }
    [Id(3)] public DateTimeOffset? DecidedAt { get; set; }
    [Id(4)] public string? FinalText { get; set; }
}

[GenerateSerializer]
public sealed class ApprovalQueueState
{
    [Id(0)] public Dictionary<string, ApprovalEntry> Items { get; set; } = [];
}
