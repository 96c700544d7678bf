namespace Grains.Marketing;

public interface IKpiAnalyzerStageGrain : IGrainWithStringKey;

/// <summary>Step 5: <c>pitch.compliant</c> → <c>pitch.analyzed</c>, with the pitch's KPIs and the products it names (<see cref="LeadKpiAnalyzer"/>).</summary>
[ImplicitStreamSubscription(LeadTopics.PitchCompliant)]
public sealed class KpiAnalyzerStageGrain() : LeadStageGrain(LeadStages.KpiAnalyzer), IKpiAnalyzerStageGrain
{
    protected override string? Precondition(Lead lead) =>
        string.IsNullOrWhiteSpace(lead.Pitch) || lead.Verdict?.Stage != LeadStages.BrandFilter.Name ? "it carries no pitch judged by the brand filter" : null;

    protected override async Task HandleAsync(Lead lead)
    {
        var (kpis, products) = LeadKpiAnalyzer.Analyze(lead, await TenantAsync(lead));
        await PublishAsync(LeadTopics.PitchAnalyzed, lead with { Kpis = kpis, Products = products }, LeadEventTypes.PitchAnalyzed, "analyzed");
    }
}
