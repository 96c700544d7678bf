using System.Collections.Immutable;
using Grains.Pipeline;
using Streaming.Kafka.Events;

namespace Grains.Marketing;

/// <summary>
/// One lead on its way through the marketing assistant's ten steps: the form as submitted, then what each step adds
/// (the validator's verdict, the pitch, the brand filter's verdict, the KPIs, the availability, the message, the
/// risks, a moderator's decision). Like a chat turn, one record travels from topic to topic, keyed by the lead id.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record Lead
{
    [Id(0)] public required string LeadId { get; init; }
    [Id(1)] public required string TenantId { get; init; }
    [Id(2)] public required string Name { get; init; }
    [Id(3)] public required string Email { get; init; }
    [Id(4)] public string? Company { get; init; }
    /// <summary>What the lead asked about, in their words.</summary>
    [Id(5)] public required string Interest { get; init; }
    [Id(6)] public Tier Tier { get; init; }
    [Id(7)] public DateTimeOffset SubmittedAt { get; init; }
    [Id(8)] public string? TraceId { get; init; }
    /// <summary>The deciding verdict of the last guardrail that judged the lead (validator, then brand filter).</summary>
    [Id(9)] public Verdict? Verdict { get; init; }
    [Id(10)] public IReadOnlyList<Verdict> Concerns { get; init; } = [];
    [Id(11)] public string? Pitch { get; init; }
    [Id(12)] public string? ModelName { get; init; }
    [Id(13)] public double? ModelMilliseconds { get; init; }
    /// <summary>Catalog entries the pitch names (the KPI analyzer's finding; availability is asked for these).</summary>
    [Id(14)] public IReadOnlyList<string> Products { get; init; } = [];
    [Id(15)] public LeadKpis? Kpis { get; init; }
    [Id(16)] public IReadOnlyList<ProductAvailability> Availability { get; init; } = [];
    /// <summary>Why availability is not known (the service was down and the lead went on without it), or null.</summary>
    [Id(17)] public string? AvailabilityMissing { get; init; }
    /// <summary>The combined message for the customer (step 7), and what a moderator sent instead (step 9).</summary>
    [Id(18)] public string? Message { get; init; }
    [Id(19)] public IReadOnlyList<string> Risks { get; init; } = [];
    [Id(20)] public string? DecidedBy { get; init; }
    /// <summary>When the platform received the lead (latency is measured from here).</summary>
    [Id(21)] public DateTimeOffset? ReceivedAt { get; init; }
}

/// <summary>What the KPI analyzer (step 5) adds to a pitch.</summary>
[GenerateSerializer, Immutable]
public sealed record LeadKpis(
    [property: Id(0)] int Words,
    [property: Id(1)] double ReadingEase,
    [property: Id(2)] double Sentiment,
    [property: Id(3)] int LeadScore,
    [property: Id(4)] decimal? DiscountPercent);

/// <summary>One product's availability as the availability service (step 6) answered.</summary>
[GenerateSerializer, Immutable]
public sealed record ProductAvailability(
    [property: Id(0)] string Product,
    [property: Id(1)] bool Available,
    [property: Id(2)] int? InStock,
    [property: Id(3)] string? DeliveryEstimate);

/// <summary>The marketing assistant's topics, in step order (names from the design brief).</summary>
public static class LeadTopics
{
    public const string New = "lead.new";
    public const string Cleaned = "lead.cleaned";
    public const string Rejected = "lead.rejected";
    public const string PitchGenerated = "pitch.generated";
    public const string PitchCompliant = "pitch.compliant";
    public const string PitchAnalyzed = "pitch.analyzed";
    public const string AvailabilityChecked = "availability.checked";
    public const string MessageReady = "message.ready";
    public const string MessagePendingApproval = "message.pending_approval";
    public const string MessageApproved = "message.approved";
    public const string NotificationsSales = "notifications.sales";
    public const string EmailSend = "email.send";
    public const string CrmSync = "crm.sync";

    public static readonly string[] All =
    [
        New, Cleaned, Rejected, PitchGenerated, PitchCompliant, PitchAnalyzed, AvailabilityChecked,
        MessageReady, MessagePendingApproval, MessageApproved, NotificationsSales, EmailSend, CrmSync,
    ];
}

/// <summary>CloudEvent types of the marketing assistant, one per step's output.</summary>
public static class LeadEventTypes
{
    public const string Submitted = "lead.submitted";
    public const string Cleaned = "lead.cleaned";
    public const string Rejected = "lead.rejected";
    public const string PitchGenerated = "pitch.generated";
    public const string PitchCompliant = "pitch.compliant";
    public const string PitchAnalyzed = "pitch.analyzed";
    public const string AvailabilityChecked = "availability.checked";
    public const string MessageReady = "message.ready";
    public const string MessageHeld = "message.held";
    public const string MessageApproved = "message.approved";
    public const string SalesNotification = "notification.sales";
    public const string EmailRequested = "email.send";
    public const string CrmUpsert = "crm.sync";
}

public static class LeadEvents
{
    /// <summary>
    /// The event a step emits: id from the lead and the step (a redelivered step emits the same id), the same
    /// extensions as the chat's events (<c>tenantid</c>, <c>sessionid</c> = the lead id, <c>tier</c>) and the lead's trace.
    /// </summary>
    public static CloudEvent For(Lead lead, string type, string step, string source) =>
        CloudEvent.Create(type, source, lead, id: $"{lead.LeadId}.{step}", subject: lead.LeadId,
                traceParent: ChatEvents.TraceParentIn(lead.TraceId),
                time: DateTimeOffset.UtcNow)
            with
            {
                Extensions = ImmutableDictionary<string, string>.Empty
                    .Add("tenantid", lead.TenantId)
                    .Add("sessionid", lead.LeadId)
                    .Add("tier", lead.Tier.ToString().ToLowerInvariant()),
            };

    /// <summary>The lead an event carries; throws InvalidDataException when the data is not one.</summary>
    public static Lead Lead(CloudEvent e) =>
        e.DataAs<Lead>() ?? throw new InvalidDataException($"event {e.Id} ({e.Type}) carries no lead");
}
