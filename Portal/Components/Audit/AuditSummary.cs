using System.Globalization;
using System.Text.Json;
using Grains.Analytics;
using Grains.Approvals;
using Grains.Audit;
using Grains.Pipeline;

namespace Portal.Components.Audit;

/// <summary>What an auditor reads on one line of a timeline: the event's facts, from its data as Kafka holds it.</summary>
public static class AuditSummary
{
    public static string Of(AuditEvent e)
    {
        if (e.Event is null) return e.Missing ?? "not read";
        if (e.Event.Type == ChatEventTypes.GuardrailEvaluated && Try(() => e.Event.DataAs<GuardrailEvaluation>(CloudEventJsonOptions)) is { } evaluation)
        {
            var concerns = evaluation.Verdicts.Where(Matters).Select(Verdict).ToList();
            return $"{evaluation.Stage}: {(Matters(evaluation.Decision) ? Verdict(evaluation.Decision) : "allowed")}" +
                   (concerns.Count > 0 ? "; verdicts: " + string.Join("; ", concerns) : "") + $" ({evaluation.Microseconds / 1000:0.#} ms)";
        }
        if (Approval(e) is { } step)
        {
            var parts = new List<string> { $"{Words(step.Step)} by {step.By} ({step.Team} team)", "rule " + step.Rule };
            if (step.LatencyMs is { } waited) parts.Add($"after {TimeSpan.FromMilliseconds(waited).TotalSeconds:0.#} s");
            if (!string.IsNullOrWhiteSpace(step.Reason)) parts.Add("reason: " + step.Reason);
            if (step.Final is { } sent && step.Step is not (InterventionStep.Held or InterventionStep.Escalated)) parts.Add("sent: " + Cut(sent));
            return string.Join(" · ", parts);
        }
        if (LeadAuditSummary.Of(e.Event) is { } lead) return lead;
        if (Try(() => ChatEvents.Turn(e.Event)) is { } turn)
        {
            var parts = new List<string>();
            if (turn.Verdict is { } v && Matters(v)) parts.Add(Verdict(v));
            if (turn.DecidedBy is { } by) parts.Add("decided by " + by);
            if (turn.Backend is { } backend) parts.Add($"backend {backend}{(turn.Degraded ? " (fallback)" : "")}");
            if (turn.QueueMilliseconds is { } queue) parts.Add($"queued {queue:0} ms");
            if (turn.BusyNotified) parts.Add("busy notice sent");
            if (turn.ModelMilliseconds is { } model) parts.Add($"model {turn.ModelName} {model:0} ms");
            parts.Add(turn.Answer is { } answer ? "answer: " + Cut(answer) : "message: " + Cut(turn.Text));
            return string.Join(" · ", parts);
        }
        return Cut(e.Event.Data, 240);
    }

    /// <summary>The approval step an <c>approval.recorded</c> event holds (who decided, the diff), or null.</summary>
    public static ApprovalAudit? Approval(AuditEvent e) =>
        e.Event?.Type == ChatEventTypes.ApprovalRecorded ? Try(() => e.Event.DataAs<ApprovalAudit>(CloudEventJsonOptions)) : null;

    private static string Words(InterventionStep step) => step switch
    {
        InterventionStep.DefaultApplied => "default applied",
        _ => step.ToString().ToLowerInvariant(),
    };

    /// <summary>A plain allow says nothing an auditor needs on every line.</summary>
    private static bool Matters(Verdict v) => v.Decision != VerdictDecision.Allow || v.Rule != "none";

    private static string Verdict(Verdict v) =>
        $"{v.Decision.ToString().ToLowerInvariant()} {v.Rule}" +
        (string.IsNullOrEmpty(v.Detector) ? "" : $" by {v.Detector}") +
        $" (score {v.Score.ToString("0.00", CultureInfo.InvariantCulture)}{(v.PolicyVersion > 0 ? $", policy v{v.PolicyVersion}" : "")})";

    private static string Cut(string text, int max = 120) => text.Length <= max ? text : text[..max] + "…";

    private static readonly JsonSerializerOptions CloudEventJsonOptions = Streaming.Kafka.Events.CloudEventJson.Options;

    private static T? Try<T>(Func<T?> read) where T : class
    {
        try { return read(); }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or NotSupportedException) { return null; }
    }
}
