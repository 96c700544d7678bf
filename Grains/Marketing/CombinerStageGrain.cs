namespace Grains.Marketing;

public interface ICombinerStageGrain : IGrainWithStringKey;

/// <summary>Step 7: <c>availability.checked</c> → <c>message.ready</c>: pitch, KPIs and availability in one message (<see cref="MessageComposer"/>).</summary>
[ImplicitStreamSubscription(LeadTopics.AvailabilityChecked)]
public sealed class CombinerStageGrain() : LeadStageGrain(LeadStages.Combiner), ICombinerStageGrain
{
    protected override string? Precondition(Lead lead) => lead.Kpis is null ? "it carries no KPIs: the KPI analyzer did not see it" : null;

    protected override Task HandleAsync(Lead lead) =>
        PublishAsync(LeadTopics.MessageReady, lead with { Message = MessageComposer.Compose(lead) }, LeadEventTypes.MessageReady, "ready");
}
