using System.Globalization;
using Grains.Marketing;
using Grains.Pipeline;
using Streaming.Kafka.Events;

namespace Portal.Components.Audit;

/// <summary>A marketing-assistant event on one line of the audit timeline: what its step added to the lead.</summary>
public static class LeadAuditSummary
{
    private static readonly HashSet<string> Types =
    [
        LeadEventTypes.Submitted, LeadEventTypes.Cleaned, LeadEventTypes.Rejected, LeadEventTypes.PitchGenerated, LeadEventTypes.PitchCompliant,
        LeadEventTypes.PitchAnalyzed, LeadEventTypes.AvailabilityChecked, LeadEventTypes.MessageReady, LeadEventTypes.MessageHeld,
        LeadEventTypes.MessageApproved, LeadEventTypes.SalesNotification, LeadEventTypes.EmailRequested, LeadEventTypes.CrmUpsert,
    ];

    /// <summary>The line for a lead event, or null when the event is not one (or its data is not a lead).</summary>
    public static string? Of(CloudEvent e)
    {
        if (!Types.Contains(e.Type)) return null;
        Lead lead;
        try { lead = LeadEvents.Lead(e); }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidDataException or NotSupportedException) { return null; }
        return e.Type switch
        {
            LeadEventTypes.Submitted => $"{lead.Name} <{lead.Email}>{(lead.Company is { } c ? " of " + c : "")}: {Cut(lead.Interest)}",
            LeadEventTypes.Cleaned or LeadEventTypes.PitchCompliant => lead.Verdict is { } v ? $"{v.Stage}: {Verdict(v)}" : "passed",
            LeadEventTypes.Rejected => $"rejected{(lead.Verdict is { } v ? $": {Verdict(v)} — {v.Reason}" : "")}{(lead.DecidedBy is { } by ? " by " + by : "")}",
            LeadEventTypes.PitchGenerated => $"pitch by {lead.ModelName ?? "the model"}{(lead.ModelMilliseconds is { } ms ? $" in {ms:0} ms" : "")}: {Cut(lead.Pitch ?? "")}",
            LeadEventTypes.PitchAnalyzed when lead.Kpis is { } k => string.Create(CultureInfo.InvariantCulture,
                $"{k.Words} words, reading ease {k.ReadingEase:0}, sentiment {k.Sentiment:+0.00;-0.00;0}, lead score {k.LeadScore}") +
                (k.DiscountPercent is { } d ? $", discount {d}%" : "") + (lead.Products.Count > 0 ? "; names " + string.Join(", ", lead.Products) : ""),
            LeadEventTypes.AvailabilityChecked => lead.AvailabilityMissing is { } why
                ? "availability unknown: " + why
                : string.Join("; ", lead.Availability.Select(a => a.Available ? $"{a.Product}: in stock ({a.InStock}), {a.DeliveryEstimate}" : $"{a.Product}: not available")) is { Length: > 0 } s ? s : "no products named",
            LeadEventTypes.MessageReady => "message: " + Cut(lead.Message ?? ""),
            LeadEventTypes.MessageHeld => "held for the marketing team: " + string.Join("; ", lead.Risks),
            LeadEventTypes.MessageApproved => (lead.DecidedBy is { } by ? $"approved by {by}" : "nothing risky, approved by the emergency stop") + ": " + Cut(lead.Message ?? ""),
            LeadEventTypes.SalesNotification => "Slack to sales",
            LeadEventTypes.EmailRequested => "e-mail to " + lead.Email,
            LeadEventTypes.CrmUpsert => "CRM upsert of " + lead.LeadId,
            _ => null,
        };
    }

    private static string Verdict(Verdict v) =>
        v.Decision == VerdictDecision.Allow && v.Rule == "none" ? "allowed" : $"{v.Decision.ToString().ToLowerInvariant()} {v.Rule}";

    private static string Cut(string text, int max = 160) => text.Length <= max ? text : text[..max] + "…";
}
