using Grains.Guardrails;
using Grains.Pipeline;

namespace Grains.Marketing;

public interface IBrandFilterStageGrain : IGrainWithStringKey;

/// <summary>
/// Step 4: <c>pitch.generated</c> → <c>pitch.compliant</c>. The pitch is judged by the tenant's output policy (the chat's
/// output chain: competitors, discounts over the limit, regulated advice, safety); a rewrite (e.g. redaction) replaces
/// the pitch. Whatever the decision, the verdict travels with the pitch: a pitch the filter objects to is held by the
/// emergency stop (step 8) for a person, never sent on its own.
/// </summary>
[ImplicitStreamSubscription(LeadTopics.PitchGenerated)]
public sealed class BrandFilterStageGrain(GuardrailChains chains) : LeadStageGrain(LeadStages.BrandFilter), IBrandFilterStageGrain
{
    protected override string? Precondition(Lead lead) => string.IsNullOrWhiteSpace(lead.Pitch) ? "it carries no pitch" : null;

    protected override async Task HandleAsync(Lead lead)
    {
        var tenant = await TenantAsync(lead);
        var outcome = await chains.Output.RunAsync(tenant, lead.Pitch!);
        await PublishVerdictsAsync(lead, outcome);
        await PublishAsync(LeadTopics.PitchCompliant, lead with
        {
            Pitch = outcome.Decision.Decision == VerdictDecision.Rewrite ? outcome.Text : lead.Pitch,
            Verdict = outcome.Decision with { Stage = Stage.Name }, // the step that decided, as the next steps check
            Concerns = [.. lead.Concerns, .. outcome.Concerns],
        }, LeadEventTypes.PitchCompliant, "compliant");
    }
}
