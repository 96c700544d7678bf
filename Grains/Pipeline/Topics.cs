using Orleans.Runtime;

namespace Grains.Pipeline;

/// <summary>Stream namespaces = Kafka topic names (before the deployment's prefix), as in the seed article.</summary>
public static class Topics
{
    public const string UserMessagesRaw = "user.messages.raw";
    public const string UserMessagesCleaned = "user.messages.cleaned";
    public const string UserMessagesRejected = "user.messages.rejected";
    public const string AgentRequestsFree = "agent.requests.free";
    public const string AgentRequestsPro = "agent.requests.pro";
    public const string AgentRequestsEnterprise = "agent.requests.enterprise";
    /// <summary>Turns of a paused tenant, waiting for resume (soft stop per tenant).</summary>
    public const string AgentRequestsParked = "agent.requests.parked";
    public const string AgentResponsesRaw = "agent.responses.raw";
    public const string AgentResponsesFinal = "agent.responses.final";
    public const string AgentResponsesFlagged = "agent.responses.flagged";
    public const string AgentResponsesFailed = "agent.responses.failed";
    /// <summary>Turns refused by a rate limit or quota, shed under overload, or delayed (busy notice).</summary>
    public const string AgentResponsesThrottled = "agent.responses.throttled";
    public const string AgentResponsesPendingApproval = "agent.responses.pending_approval";
    public const string AgentResponsesApproved = "agent.responses.approved";
    public const string AgentResponsesRejected = "agent.responses.rejected";
    public const string DiscountQueriesPendingApproval = "discount.queries.pending_approval";
    public const string FinanceQueriesPendingApproval = "finance.queries.pending_approval";
    public const string LegalQueriesPendingApproval = "legal.queries.pending_approval";
    public const string DeadLetter = "streams.deadletter";
    /// <summary>Every guardrail evaluation with all its verdicts, for audit and analytics.</summary>
    public const string GuardrailVerdicts = "guardrail.verdicts";
    /// <summary>Every approval step (held, approved, edited, rejected, escalated, default applied), for audit and analytics.</summary>
    public const string ApprovalEvents = "approvals.events";

    public static string AgentRequestsFor(Tier tier) => tier switch
    {
        Tier.Free => AgentRequestsFree,
        Tier.Pro => AgentRequestsPro,
        Tier.Enterprise => AgentRequestsEnterprise,
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, "unknown tier"),
    };

    public static readonly string[] All =
    [
        UserMessagesRaw, UserMessagesCleaned, UserMessagesRejected,
        AgentRequestsFree, AgentRequestsPro, AgentRequestsEnterprise, AgentRequestsParked,
        AgentResponsesRaw, AgentResponsesFinal, AgentResponsesFlagged, AgentResponsesFailed, AgentResponsesThrottled,
        AgentResponsesPendingApproval, AgentResponsesApproved, AgentResponsesRejected,
        DiscountQueriesPendingApproval, FinanceQueriesPendingApproval, LegalQueriesPendingApproval, GuardrailVerdicts, ApprovalEvents, DeadLetter,
        .. Marketing.LeadTopics.All,
    ];
}

/// <summary>
/// Each stage is one stream provider: its own consumer group over its own topics, so an operator
/// can stop and start it alone (soft stop) while events wait in Kafka.
/// </summary>
public sealed record Stage(string Name, string Title, string[] Topics)
{
    /// <summary>Before each topic in the names of the streams this stage's provider delivers (<see cref="Audit"/> only).</summary>
    public string NamespacePrefix { get; init; } = "";

    /// <summary>Reads topics other stages consume: leaves dead-lettering unreadable messages to them.</summary>
    public bool Observes { get; init; }

    /// <summary>The deployment's prefix before this stage's topic names (its provider's options; the same for every stage).</summary>
    public string TopicPrefix(IServiceProvider services) => services.GetOptionsByName<Streaming.Kafka.KafkaStreamOptions>(Name).TopicPrefix;

    public static readonly Stage InputGuardrail = new("input-guardrail", "Input guardrail", [Pipeline.Topics.UserMessagesRaw]);
    public static readonly Stage TierRouter = new("tier-router", "Tier router", [Pipeline.Topics.UserMessagesCleaned]);
    public static readonly Stage Model = new("agent-execution", "Model",
        [Pipeline.Topics.AgentRequestsEnterprise, Pipeline.Topics.AgentRequestsPro, Pipeline.Topics.AgentRequestsFree]);
    public static readonly Stage OutputGuardrail = new("output-guardrail", "Output guardrail", [Pipeline.Topics.AgentResponsesRaw]);
    public static readonly Stage Delivery = new("delivery", "Delivery to customers",
        [Pipeline.Topics.AgentResponsesFinal, Pipeline.Topics.AgentResponsesFlagged, Pipeline.Topics.UserMessagesRejected, Pipeline.Topics.AgentResponsesFailed,
         Pipeline.Topics.AgentResponsesThrottled,
         Pipeline.Topics.AgentResponsesPendingApproval, Pipeline.Topics.AgentResponsesApproved, Pipeline.Topics.AgentResponsesRejected,
         Pipeline.Topics.DiscountQueriesPendingApproval, Pipeline.Topics.FinanceQueriesPendingApproval, Pipeline.Topics.LegalQueriesPendingApproval]);

    /// <summary>
    /// Reads every platform topic, in its own consumer group, into the audit index. Its streams are named
    /// <c>audit/TOPIC</c>: implicit subscriptions match stream names whichever provider delivers, so the pipeline's
    /// grains never receive the audit stage's deliveries, nor the audit grains the pipeline's.
    /// </summary>
    public static readonly Stage Audit = new("audit", "Audit index", [.. Pipeline.Topics.All.Where(t => t != Pipeline.Topics.DeadLetter)])
    {
        NamespacePrefix = "audit/",
        Observes = true,
    };

    public static readonly Stage[] All = [InputGuardrail, TierRouter, Model, OutputGuardrail, Delivery, .. Marketing.LeadStages.All, Audit];
}
