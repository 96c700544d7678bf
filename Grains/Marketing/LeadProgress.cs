using Grains.Audit;
using Grains.Control;
using Grains.Pipeline;

namespace Grains.Marketing;

/// <summary>Where a lead is: the last step it passed, and where it waits and why (or how it ended).</summary>
public sealed record LeadStatus(string LeadId, int Step, string StepName, string State, string? Waiting, DateTimeOffset? Since);

/// <summary>
/// A lead's progress from the audit index of its events (the one record of what happened to it) and the control
/// room's switches (why it may be waiting): the lead board's view.
/// </summary>
public static class LeadProgress
{
    private static readonly (string Type, int Step, string Name)[] Steps =
    [
        (LeadEventTypes.Submitted, 1, "submitted"),
        (LeadEventTypes.Cleaned, 2, "validated"),
        (LeadEventTypes.PitchGenerated, 3, "pitch written"),
        (LeadEventTypes.PitchCompliant, 4, "brand checked"),
        (LeadEventTypes.PitchAnalyzed, 5, "KPIs added"),
        (LeadEventTypes.AvailabilityChecked, 6, "availability checked"),
        (LeadEventTypes.MessageReady, 7, "message combined"),
        (LeadEventTypes.MessageHeld, 8, "held for approval"),
        (LeadEventTypes.MessageApproved, 9, "approved"),
        (LeadEventTypes.SalesNotification, 10, "sent"),
        (LeadEventTypes.EmailRequested, 10, "sent"),
        (LeadEventTypes.CrmUpsert, 10, "sent"),
    ];

    /// <summary>The stage that takes a lead on after each step.</summary>
    private static readonly Dictionary<int, Stage> Next = new()
    {
        [1] = LeadStages.Validator, [2] = LeadStages.PitchWriter, [3] = LeadStages.BrandFilter, [4] = LeadStages.KpiAnalyzer,
        [5] = LeadStages.Availability, [6] = LeadStages.Combiner, [7] = LeadStages.EmergencyStop, [8] = LeadStages.Approvals,
        [9] = LeadStages.Router,
    };

    /// <param name="wait">What a step said of the lead it holds back (<see cref="ILeadGrain.GetWait"/>), if anything.</param>
    public static LeadStatus Of(string leadId, IReadOnlyList<AuditEntry> entries, IReadOnlyList<StageControl> stages, LeadWait? wait = null)
    {
        if (entries.LastOrDefault(e => e.Type == LeadEventTypes.Rejected) is { } rejected)
            return new LeadStatus(leadId, 0, "rejected", "rejected", rejected.Rule is { } rule ? $"rejected by {rule}" : "rejected", rejected.Time);
        var passed = entries.Select(e => (Entry: e, Step: Steps.FirstOrDefault(s => s.Type == e.Type))).Where(x => x.Step.Type is not null)
            .OrderBy(x => x.Step.Step).ThenBy(x => x.Entry.Time).LastOrDefault();
        if (passed.Step.Type is null) return new LeadStatus(leadId, 0, "not yet indexed", "in progress", null, null);
        var (step, name) = (passed.Step.Step, passed.Step.Name);
        if (step == 10)
        {
            var channels = entries.Count(e => e.Type is LeadEventTypes.SalesNotification or LeadEventTypes.EmailRequested or LeadEventTypes.CrmUpsert);
            return new LeadStatus(leadId, 10, name, channels >= 3 ? "sent" : "sending", channels >= 3 ? null : $"{channels} of 3 channels routed", passed.Entry.Time);
        }
        var next = Next[step];
        var paused = stages.FirstOrDefault(s => s.Stage == next.Name && s.Paused);
        var heldBack = wait is not null && wait.Stage == next.Name ? wait : null;
        var waiting = paused is not null
            ? $"waits: {next.Title} is paused by {paused.By}{(paused.Reason is { } why ? $" ({why})" : "")}"
            : heldBack is not null ? $"waits at {next.Title}: {heldBack.Reason} (tried {heldBack.Attempts}×, last at {heldBack.LastTried:HH:mm:ss})"
            : step == 8 ? "waits for a person in the marketing approvals queue" : $"at {next.Title}";
        var state = paused is not null || heldBack is not null || step == 8 ? "waiting" : "in progress";
        return new LeadStatus(leadId, step, name, state, waiting, heldBack?.Since ?? passed.Entry.Time);
    }
}
