using Grains.Pipeline;

namespace Grains.Approvals;

/// <summary>What happens to an item nobody decides in time.</summary>
public enum SlaDefaultAction
{
    /// <summary>Withhold the answer and send the tenant's fallback (the safe default).</summary>
    SendFallback,

    /// <summary>Send the held answer as it is (for low-risk queues where silence is worse).</summary>
    SendAnswer,
}

/// <summary>
/// One SLA rule: after <see cref="EscalateAfter"/> an undecided item moves to <see cref="EscalateTo"/>
/// (a lead queue); after <see cref="DefaultAfter"/> (from when it was held) the <see cref="DefaultAction"/>
/// is applied. <see cref="Team"/> and <see cref="Tier"/> narrow the rule; null matches any.
/// </summary>
public sealed class ApprovalSlaRule
{
    public string? Team { get; set; }
    public Tier? Tier { get; set; }
    public TimeSpan EscalateAfter { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan DefaultAfter { get; set; } = TimeSpan.FromMinutes(15);
    public string EscalateTo { get; set; } = Teams.Leads;
    public SlaDefaultAction DefaultAction { get; set; } = SlaDefaultAction.SendFallback;
}

/// <summary>Settings section <c>Approvals:Sla</c>: the most specific matching rule wins (team and tier, team, tier, default).</summary>
public sealed class ApprovalSlaOptions
{
    public const string Section = "Approvals:Sla";

    /// <summary>How often a queue with waiting items checks its deadlines.</summary>
    public TimeSpan CheckPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often a stored reminder wakes a queue with waiting items, so that deadlines are kept after a restart
    /// even when nobody opens the queue (at most this late). Orleans' minimum reminder period applies.
    /// </summary>
    public TimeSpan ReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    public ApprovalSlaRule Default { get; set; } = new();

    public List<ApprovalSlaRule> Rules { get; set; } =
    [
        new() { Tier = Pipeline.Tier.Enterprise, EscalateAfter = TimeSpan.FromMinutes(2), DefaultAfter = TimeSpan.FromMinutes(5) },
        new() { Tier = Pipeline.Tier.Pro, EscalateAfter = TimeSpan.FromMinutes(5), DefaultAfter = TimeSpan.FromMinutes(15) },
        new() { Tier = Pipeline.Tier.Free, EscalateAfter = TimeSpan.FromMinutes(15), DefaultAfter = TimeSpan.FromMinutes(60) },
    ];

    public ApprovalSlaRule For(string team, Tier tier) =>
        Rules.FirstOrDefault(r => r.Team == team && r.Tier == tier)
        ?? Rules.FirstOrDefault(r => r.Team == team && r.Tier is null)
        ?? Rules.FirstOrDefault(r => r.Team is null && r.Tier == tier)
        ?? Default;
}
