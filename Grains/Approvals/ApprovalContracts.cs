using Grains.Pipeline;

namespace Grains.Approvals;

/// <summary>
/// What is held: a model answer, a customer message (input guardrail), a correction of an answer already replaced by
/// the fallback, or a marketing message to a lead (the emergency stop, step 8 of the marketing assistant).
/// </summary>
public enum HoldKind { Answer, Message, Correction, Lead }

/// <summary>An item waiting for a person, with what caused the hold and its SLA deadlines.</summary>
[GenerateSerializer, Immutable]
public sealed record ApprovalItem(
    [property: Id(0)] ChatTurn Turn,
    [property: Id(1)] DateTimeOffset HeldAt)
{
    [Id(2)] public HoldKind Kind { get; init; } = HoldKind.Answer;
    /// <summary>The team whose queue received it first (an escalation keeps it).</summary>
    [Id(3)] public string Team { get; init; } = Teams.Review;
    /// <summary>Set when the item came here because its first queue missed the escalation deadline.</summary>
    [Id(4)] public string? EscalatedFrom { get; init; }
    [Id(5)] public DateTimeOffset? EscalateAt { get; init; }
    /// <summary>When the safe default is applied if nobody decides.</summary>
    [Id(6)] public DateTimeOffset? DefaultAt { get; init; }
    [Id(7)] public SlaDefaultAction DefaultAction { get; init; }
    /// <summary>The lead whose message this is (<see cref="HoldKind.Lead"/>): what an approval sends on to <c>message.approved</c>.</summary>
    [Id(8)] public Marketing.Lead? Lead { get; init; }

    public string Rule => Turn.Verdict?.Rule ?? "unknown";
}

[GenerateSerializer, Immutable]
public sealed record ApprovalDecision(
    [property: Id(0)] bool Applied,
    [property: Id(1)] string Outcome,
    [property: Id(2)] string? DecidedBy,
    [property: Id(3)] DateTimeOffset? DecidedAt,
    [property: Id(4)] string Message);

/// <summary>A decided item as the audit shows it: who, when, what was sent, and the edit's diff.</summary>
[GenerateSerializer, Immutable]
public sealed record ApprovalRecord(
    [property: Id(0)] ApprovalItem Item,
    [property: Id(1)] string Outcome,
    [property: Id(2)] string? DecidedBy,
    [property: Id(3)] DateTimeOffset? DecidedAt,
    [property: Id(4)] string? FinalText,
    [property: Id(5)] IReadOnlyList<DiffSegment> Diff,
    [property: Id(6)] string? Reason);

/// <summary>A moderator's screen watching a queue. One-way: a slow browser never blocks the queue.</summary>
public interface IApprovalQueueObserver : IGrainObserver
{
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Orleans.Concurrency.OneWay, Alias("changed")] Task OnQueueChanged();
}

public interface IApprovalQueueGrain : IGrainWithStringKey
{
    /// <summary>Watch the queue; call again within two minutes to stay subscribed.</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("subscribe")] Task Subscribe(IApprovalQueueObserver observer);

    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("unsubscribe")] Task Unsubscribe(IApprovalQueueObserver observer);

    /// <summary>Adds a held item and starts its SLA timer; adding the same turn again changes nothing (redelivery).</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("add")] Task Add(ApprovalItem item);

    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("pending")] Task<IReadOnlyList<ApprovalItem>> Pending();

    /// <summary>Decided (or escalated) items, newest first.</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("decided")] Task<IReadOnlyList<ApprovalRecord>> Decided(int max = 50);

    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("get")] Task<ApprovalRecord?> Get(string turnId);

    /// <summary>The SLA clock's time at the last deadline check (null before the first): shows the checks run.</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("checked-at")] Task<DateTimeOffset?> DeadlinesCheckedAt();

    /// <summary>
    /// Sends the answer (or the moderator's edit of it; the diff is kept). For a held customer message,
    /// the text is the moderator's reply, or without text the message goes on to the assistant.
    /// Applies once: later actors are told who decided.
    /// </summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("approve")] Task<ApprovalDecision> Approve(string turnId, string by, string? editedAnswer = null);

    /// <summary>Withholds the answer; the customer gets the replacement text, else the tenant's fallback.</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("reject")] Task<ApprovalDecision> Reject(string turnId, string by, string reason, string replacement);
}
