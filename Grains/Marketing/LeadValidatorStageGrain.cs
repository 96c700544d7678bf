using Grains.Guardrails;
using Grains.Pipeline;

namespace Grains.Marketing;

public interface ILeadValidatorStageGrain : IGrainWithStringKey;

/// <summary>
/// Step 2: <c>lead.new</c> → <c>lead.cleaned</c>, or <c>lead.rejected</c> with the deciding verdict. The lead's words are
/// judged by the tenant's input policy (the chat's input chain: injection, personal data, topics, safety). A hold goes
/// on with its concern recorded: the emergency stop (step 8) puts the message before a person.
/// </summary>
[ImplicitStreamSubscription(LeadTopics.New)]
public sealed class LeadValidatorStageGrain(GuardrailChains chains) : LeadStageGrain(LeadStages.Validator), ILeadValidatorStageGrain
{
    protected override async Task HandleAsync(Lead lead)
    {
        var tenant = await TenantAsync(lead);
        var outcome = await chains.Input.RunAsync(tenant, lead.Interest);
        await PublishVerdictsAsync(lead, outcome);
        var judged = lead with { Verdict = outcome.Decision with { Stage = Stage.Name }, Interest = outcome.Text, Concerns = outcome.Concerns, Tier = tenant.Tier };
        if (outcome.Decision.Decision is VerdictDecision.Block or VerdictDecision.Flag)
            await PublishAsync(LeadTopics.Rejected, judged, LeadEventTypes.Rejected, "rejected");
        else
            await PublishAsync(LeadTopics.Cleaned, judged, LeadEventTypes.Cleaned, "cleaned");
    }
}
