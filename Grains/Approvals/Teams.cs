using Grains.Pipeline;

namespace Grains.Approvals;

/// <summary>Moderation teams, each with its own topic and approval queue; a held answer's rule says which.</summary>
public static class Teams
{
    /// <summary>General review: hard-stopped answers and holds without a specialist team.</summary>
    public const string Review = "review";
    public const string Discount = "discount";
    public const string Finance = "finance";
    public const string Legal = "legal";
    /// <summary>Team leads: where overdue items escalate by default.</summary>
    public const string Leads = "leads";
    /// <summary>Marketing messages to leads that the emergency stop held (the marketing assistant's step 9).</summary>
    public const string Marketing = "marketing";

    public static readonly string[] All = [Review, Discount, Finance, Legal, Marketing, Leads];

    public static string ForRule(string? rule) => rule switch
    {
        "discount.above-threshold" => Discount,
        "domain.finance" => Finance,
        "domain.legal" => Legal,
        _ => Review,
    };

    /// <summary>Where a hold decided by <paramref name="rule"/> waits: its team's topic.</summary>
    public static string TopicForRule(string? rule) => TopicFor(ForRule(rule));

    public static string TopicFor(string team) => team switch
    {
        Discount => Topics.DiscountQueriesPendingApproval,
        Finance => Topics.FinanceQueriesPendingApproval,
        Legal => Topics.LegalQueriesPendingApproval,
        Marketing => Grains.Marketing.LeadTopics.MessagePendingApproval,
        _ => Topics.AgentResponsesPendingApproval,
    };
}
