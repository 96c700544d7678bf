using Grains.Hosting;

namespace Grains.Marketing;

/// <summary>A lead as the lead board lists it.</summary>
[GenerateSerializer, Immutable]
public sealed record LeadListing(
    [property: Id(0)] string LeadId,
    [property: Id(1)] string TenantId,
    [property: Id(2)] string Name,
    [property: Id(3)] DateTimeOffset SubmittedAt);

public interface ILeadDirectoryGrain : IGrainWithIntegerKey
{
    [ResponseTimeout(CallTimeouts.Call)] [Alias("add")] Task Add(LeadListing lead);

    /// <summary>The newest leads first.</summary>
    [ResponseTimeout(CallTimeouts.Call)] [Alias("list"), Orleans.Concurrency.ReadOnly] Task<IReadOnlyList<LeadListing>> List(int max = 100);
}

/// <summary>
/// The leads submitted lately (the last 1,000), so the lead board can list them; each lead's progress comes from the
/// audit index of its events (<see cref="LeadProgress"/>), not from here.
/// </summary>
public sealed class LeadDirectoryGrain([PersistentState("leads", GrainStores.Conversations)] IPersistentState<LeadDirectoryState> state) : Grain, ILeadDirectoryGrain
{
    public const int Capacity = 1000;

    public async Task Add(LeadListing lead)
    {
        if (RecentList.Add(state.State.Leads, lead, l => l.LeadId == lead.LeadId, Capacity))
            await state.WriteOrDropAsync(this);
    }

    public Task<IReadOnlyList<LeadListing>> List(int max = 100) => Task.FromResult(RecentList.Newest(state.State.Leads, max, Capacity));
}

[GenerateSerializer]
public sealed class LeadDirectoryState
{
    [Id(0)] public List<LeadListing> Leads { get; set; } = [];
}
