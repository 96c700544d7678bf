using System.Collections.Immutable;
using Streaming.Kafka.Events;

namespace Grains.Pipeline;

public enum Tier { Free, Pro, Enterprise }

/// <summary>
/// One customer message and what the pipeline made of it. It travels as the JSON data of a
/// CloudEvent; each stage publishes an updated copy on the next topic.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ChatTurn
{
    [Id(0)] public required string TurnId { get; init; }
    [Id(1)] public required string TenantId { get; init; }
    [Id(2)] public required string SessionId { get; init; }
    [Id(3)] public Tier Tier { get; init; }
    [Id(4)] public required string Text { get; init; }
    [Id(5)] public DateTimeOffset SubmittedAt { get; init; }
    [Id(6)] public string? Answer { get; init; }
    [Id(7)] public Verdict? Verdict { get; init; }
    [Id(8)] public string? ModelName { get; init; }
    /// <summary>Time spent inside the model call, so pipeline overhead can be measured without it.</summary>
    [Id(9)] public double? ModelMilliseconds { get; init; }
    [Id(10)] public string? TraceId { get; init; }
    /// <summary>Who decided a held answer (approve or reject), for the customer's note and the audit.</summary>
    [Id(11)] public string? DecidedBy { get; init; }
    /// <summary>The verdicts that did not simply allow the text (what caused a hold, for the moderator).</summary>
    [Id(12)] public IReadOnlyList<Verdict> Concerns { get; init; } = [];
    /// <summary>Flag and replace: the customer already has the fallback; an approval sends a correction later.</summary>
    [Id(13)] public bool FallbackSent { get; init; }
    /// <summary>Time the request waited for a model slot (the tier scheduler's queue).</summary>
    [Id(14)] public double? QueueMilliseconds { get; init; }
    /// <summary>The model backend that answered.</summary>
    [Id(15)] public string? Backend { get; init; }
    /// <summary>Answered by the tier's fallback backend because the preferred ones were overloaded.</summary>
    [Id(16)] public bool Degraded { get; init; }
    /// <summary>The customer was told "we're busy, we'll answer shortly" while this waited.</summary>
    [Id(17)] public bool BusyNotified { get; init; }
    /// <summary>
    /// When the platform received the turn (stamped by the input guardrail, whatever the producer wrote). Latency
    /// figures start here, never at the producer's <see cref="SubmittedAt"/> claim.
    /// </summary>
    [Id(18)] public DateTimeOffset? ReceivedAt { get; init; }
    /// <summary>
    /// Who sent it, as opaque keys for the per-client fair-use limit (<see cref="Scheduling.ClientKeys"/>: a hash of the
    /// browser's cookie, of its network address); empty for tools, which the tenant's own quota covers.
    /// </summary>
    [Id(19)] public IReadOnlyList<string> Clients { get; init; } = [];
}

/// <summary>
/// A guardrail's decision about a message or an answer, carried in the event for audit: what was
/// decided, how strongly (score in [0,1]), by which rule of which detector, why in words, under
/// which policy version, and what the customer is told. <see cref="Rewritten"/> holds the text a
/// rewrite (e.g. PII redaction) produced.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record Verdict(
    [property: Id(0)] string Stage,
    [property: Id(1)] VerdictDecision Decision,
    [property: Id(2)] string Rule,
    [property: Id(3)] string Reason,
    [property: Id(4)] string CustomerMessage,
    [property: Id(5)] double Score = 1.0,
    [property: Id(6)] string Detector = "",
    [property: Id(7)] int PolicyVersion = 0,
    [property: Id(8)] string? Rewritten = null,
    [property: Id(9)] string? Model = null);

/// <summary>Allow; Block (refuse); Flag (withhold, send the fallback); Hold (a person reviews); Rewrite (pass a changed text on).</summary>
public enum VerdictDecision { Allow, Block, Flag, Hold, Rewrite }

/// <summary>CloudEvent types of the chat pipeline.</summary>
public static class ChatEventTypes
{
    public const string MessageReceived = "chat.message.received";
    public const string MessageCleaned = "chat.message.cleaned";
    public const string MessageRejected = "chat.message.rejected";
    public const string AgentRequested = "agent.request";
    public const string ResponseRaw = "agent.response.raw";
    public const string ResponseFinal = "agent.response.final";
    public const string ResponseFlagged = "agent.response.flagged";
    public const string ResponseFailed = "agent.response.failed";
    public const string GuardrailEvaluated = "guardrail.evaluated";
    public const string ResponseHeld = "agent.response.held";
    public const string ResponseApproved = "agent.response.approved";
    public const string ResponseRejected = "agent.response.rejected";
    /// <summary>An approved correction of an answer the customer first got the fallback for (flag and replace).</summary>
    public const string ResponseCorrected = "agent.response.corrected";
    /// <summary>A held message a moderator let through to the assistant.</summary>
    public const string MessageReleased = "chat.message.released";
    /// <summary>Approval lifecycle on <c>approvals.events</c>: held, decided, escalated, default applied.</summary>
    public const string ApprovalRecorded = "approval.recorded";
    /// <summary>Refused by the tenant's rate limit or quota (on <c>agent.responses.throttled</c>).</summary>
    public const string ResponseThrottled = "agent.response.throttled";
    /// <summary>Shed by the scheduler under overload (free tier), with a polite answer.</summary>
    public const string ResponseShed = "agent.response.shed";
    /// <summary>Not an answer: the customer is told we're busy and the answer follows.</summary>
    public const string ResponseDelayed = "agent.response.delayed";
}

public static class ChatEvents
{
    /// <summary>The trace id of a W3C <c>traceparent</c> (00-TRACEID-SPANID-FLAGS), or null.</summary>
    public static string? TraceIdOf(string? traceParent) =>
        traceParent?.Split('-') is [_, { Length: 32 } traceId, _, _] ? traceId : null;

    /// <summary>
    /// A traceparent in the turn's trace, for an event about the turn: the span publishing it replaces the parent id
    /// with its own (KafkaTracing) where tracing is on.
    /// </summary>
    public static string? TraceParentOf(ChatTurn turn) => TraceParentIn(turn.TraceId);

    /// <summary>A traceparent in the given trace (a turn's, a lead's) with a fresh parent id, or null without a trace.</summary>
    public static string? TraceParentIn(string? traceId) =>
        traceId is null ? null : $"00-{traceId}-{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..8])}-01";

    /// <summary>
    /// Event ids derive from the turn and the step, so a stage that runs twice for the same input
    /// (redelivery) emits the same id and downstream de-duplication sees it.
    /// </summary>
    public static CloudEvent For(ChatTurn turn, string type, string step, string source) =>
        CloudEvent.Create(type, source, turn, id: $"{turn.TurnId}.{step}", subject: turn.TurnId, traceParent: TraceParentOf(turn),
                time: DateTimeOffset.UtcNow)
            with
            {
                Extensions = ImmutableDictionary<string, string>.Empty
                    .Add("tenantid", turn.TenantId)
                    .Add("sessionid", turn.SessionId)
                    .Add("tier", turn.Tier.ToString().ToLowerInvariant()),
            };

    public static ChatTurn Turn(CloudEvent e) =>
        e.DataAs<ChatTurn>() ?? throw new InvalidDataException($"Event {e.Id} of type {e.Type} carries no chat turn.");
}
