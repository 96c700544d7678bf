using Grains.Control;

namespace Grains.Marketing;

public interface IEmergencyStopStageGrain : IGrainWithStringKey;

/// <summary>
/// Step 8: <c>message.ready</c> → <c>message.pending_approval</c> when anything is risky (a discount over the tenant's
/// limit, an unavailable product promised, availability unknown, a guardrail objection or hold, the tenant's hard stop),
/// else straight on to <c>message.approved</c>. The risks travel with the message, for the moderator.
/// </summary>
[ImplicitStreamSubscription(LeadTopics.MessageReady)]
public sealed class EmergencyStopStageGrain() : LeadStageGrain(LeadStages.EmergencyStop), IEmergencyStopStageGrain
{
    protected override string? Precondition(Lead lead) => string.IsNullOrWhiteSpace(lead.Message) ? "it carries no message: the combiner did not see it" : null;

    protected override async Task HandleAsync(Lead lead)
    {
        var tenant = await TenantAsync(lead);
        var holds = await GrainFactory.GetGrain<IControlGrain>(0).GetHolds();
        var risks = MessageComposer.Risks(lead, tenant.Policy, MessageComposer.HardStop(holds, lead));
        if (risks.Count > 0)
            await PublishAsync(LeadTopics.MessagePendingApproval, lead with { Risks = risks }, LeadEventTypes.MessageHeld, "held");
        else
            await PublishAsync(LeadTopics.MessageApproved, lead with { Risks = [] }, LeadEventTypes.MessageApproved, "approved");
    }
}
