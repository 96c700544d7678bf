namespace Grains.Marketing;

public interface IAvailabilityStageGrain : IGrainWithStringKey;

/// <summary>
/// Step 6: <c>pitch.analyzed</c> → <c>availability.checked</c>: the products the pitch names, asked of the availability
/// API (<see cref="AvailabilityService"/>). With the API down: the lead waits in Kafka for it (redelivered, nothing lost)
/// or goes on without availability, as <c>Marketing:Availability:WaitWhenUnavailable</c> says.
/// </summary>
[ImplicitStreamSubscription(LeadTopics.PitchAnalyzed)]
public sealed class AvailabilityStageGrain(AvailabilityService availability) : LeadStageGrain(LeadStages.Availability), IAvailabilityStageGrain
{
    protected override string? Precondition(Lead lead) => lead.Kpis is null ? "it carries no KPIs: the KPI analyzer did not see it" : null;

    protected override async Task HandleAsync(Lead lead)
    {
        var tenant = await TenantAsync(lead);
        Lead checkedLead;
        try
        {
            checkedLead = lead with { Availability = await availability.CheckAsync(tenant, lead.Products), AvailabilityMissing = null };
        }
        catch (AvailabilityUnavailableException ex) when (!availability.Options.WaitWhenUnavailable)
        {
            checkedLead = lead with { Availability = [], AvailabilityMissing = ex.Message };
        }
        catch (AvailabilityUnavailableException ex)
        {
            // Thrown on: the delivery fails, the offset stays uncommitted and Kafka's event comes again after a backoff.
            await GrainFactory.GetGrain<ILeadGrain>(lead.LeadId).NoteWait(Stage.Name, ex.Message);
            throw;
        }
        if (availability.Options.WaitWhenUnavailable) await GrainFactory.GetGrain<ILeadGrain>(lead.LeadId).ClearWait(Stage.Name);
        await PublishAsync(LeadTopics.AvailabilityChecked, checkedLead, LeadEventTypes.AvailabilityChecked, "availability");
    }
}
