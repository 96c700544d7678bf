using Grains.Audit;
using Grains.Tests.Pipeline;

namespace Grains.Tests.Audit;

/// <summary>The platform on a real redis-server, where every stored state of a grain has one key.</summary>
public sealed class AuditPagesCluster : TierPipelineCluster;

/// <summary>A tenant's audit outcomes are stored a page at a time, so a write's cost does not grow with what is kept.</summary>
public sealed class AuditTenantPagesTests(AuditPagesCluster tiers) : IClassFixture<AuditPagesCluster>
{
    [Fact]
    public async Task A_tenants_outcomes_are_stored_in_pages_the_oldest_go_past_the_capacity_and_all_come_back_after_reactivation()
    {
        var search = tiers.Client.GetGrain<IAuditTenantGrain>("paged-" + Guid.NewGuid().ToString("N")[..8]);
        var start = DateTimeOffset.UtcNow;
        AuditTurn Turn(int i) => new($"s{i % 50}", $"t{i}", null, start.AddSeconds(i), "answered", null, "free", $"e{i}");
        var total = AuditTenantGrain.Capacity + 2 * AuditTenantGrain.PageSize + 10;
        for (var i = 0; i < total; i += 500)
            await Task.WhenAll(Enumerable.Range(i, Math.Min(500, total - i)).Select(j => search.Add(Turn(j))));
        await search.Add(Turn(total - 1)); // redelivered: kept once

        async Task<List<int>> KeptAsync()
        {
            var kept = new List<int>();
            for (var from = 0; from < total; from += 1000) // a search returns at most 1,000
                kept.AddRange((await search.Search(new AuditQuery(start.AddSeconds(from), start.AddSeconds(from + 999), Max: 1000))).Select(t => int.Parse(t.TurnId![1..])));
            return [.. kept.Order()];
        }
        var kept = await KeptAsync();
        Assert.InRange(kept.Count, AuditTenantGrain.Capacity, AuditTenantGrain.Capacity + AuditTenantGrain.PageSize - 1);
        Assert.Equal(Enumerable.Range(total - kept.Count, kept.Count), kept); // the newest, each once

        // A new activation reads them back from their pages.
        await search.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        Assert.Equal(kept, await KeptAsync());
    }
}
