using Grains.Approvals;
using Grains.Pipeline;

namespace Grains.Marketing;

public interface ILeadApprovalStageGrain : IGrainWithStringKey;

/// <summary>
/// Step 9: <c>message.pending_approval</c> → the <c>marketing</c> team's queue on the approvals page. The moderator sees
/// the lead, the message and each risk; approving (or editing, with the diff kept) puts the message on
/// <c>message.approved</c>, rejecting closes the lead on <c>lead.rejected</c> and nothing is sent.
/// </summary>
[ImplicitStreamSubscription(LeadTopics.MessagePendingApproval)]
public sealed class LeadApprovalStageGrain(TimeProvider time) : LeadStageGrain(LeadStages.Approvals), ILeadApprovalStageGrain
{
    protected override string? Precondition(Lead lead) =>
        string.IsNullOrWhiteSpace(lead.Message) || lead.Risks.Count == 0 ? "it carries no message and no risks: the emergency stop did not hold it" : null;

    /// <summary>Adding is idempotent by lead id (the queue ignores a lead it holds or decided), so a redelivery adds nothing.</summary>
    protected override Task HandleAsync(Lead lead) =>
        GrainFactory.GetGrain<IApprovalQueueGrain>(Teams.Marketing).Add(ItemFor(lead, time.GetUtcNow()));

    /// <summary>The lead as the approvals page shows a held item: who asked what, the message as the answer, each risk a concern.</summary>
    public static ApprovalItem ItemFor(Lead lead, DateTimeOffset heldAt)
    {
        var concerns = lead.Risks.Select(r => new Verdict(LeadStages.EmergencyStop.Name, VerdictDecision.Hold, RuleOf(r), r, "")).ToList();
        var turn = new ChatTurn
        {
            TurnId = lead.LeadId, TenantId = lead.TenantId, SessionId = lead.LeadId, Tier = lead.Tier, TraceId = lead.TraceId,
            Text = $"Lead {lead.Name} <{lead.Email}>{(lead.Company is { } c ? " of " + c : "")}: {lead.Interest}",
            Answer = lead.Message, SubmittedAt = lead.SubmittedAt, ModelName = lead.ModelName,
            Verdict = concerns[0], Concerns = concerns,
        };
        return new ApprovalItem(turn, heldAt) { Kind = HoldKind.Lead, Team = Teams.Marketing, Lead = lead };
    }

    /// <summary>A rule name per kind of risk, for the queue, the figures and the rule precision.</summary>
    private static string RuleOf(string risk)
    {
        var colon = risk.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? "marketing." + risk[..colon].Replace(' ', '-') : "marketing.risk";
    }
}
