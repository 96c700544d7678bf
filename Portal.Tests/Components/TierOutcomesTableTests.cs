using Bunit;
using Grains.Pipeline;
using Grains.Tiers;
using Portal.Components.Sla;

namespace Portal.Tests.Components;

/// <summary>The operations page's tier table read as a person reads it: by header.</summary>
public sealed class TierOutcomesTableTests : MudTestContext
{
    [Fact]
    public void Every_cell_is_under_the_header_that_names_it()
    {
        var stats = new TierStats
        {
            Tier = Tier.Pro,
            Outcomes = new Dictionary<TurnOutcome, long> { [TurnOutcome.Answered] = 40, [TurnOutcome.Rejected] = 3, [TurnOutcome.Throttled] = 2 },
            Turns = 45,
            P50Ms = 120,
            P95Ms = 480,
            P99Ms = 910,
            Targets = new SlaTargets(2000, 500, 0.99),
        };
        var cut = Render<TierOutcomesTable>(p => p.Add(c => c.Tiers, [stats]));

        var headers = cut.FindAll("thead th").Select(h => h.TextContent.Trim()).ToList();
        var cells = cut.FindAll("tbody tr[data-tier=pro] td").Select(c => c.TextContent.Trim()).ToList();
        Assert.Equal(headers.Count, cells.Count);
        var row = headers.Zip(cells).ToDictionary(x => x.First, x => x.Second);
        Assert.Equal(("Pro", "45", "40", "3", "2", "0"), (row["Tier"], row["Turns"], row["Answered"], row["Rejected"], row["Throttled"], row["Shed"]));
        Assert.Equal(("120", "480", "910"), (row["p50 ms"], row["p95 ms"], row["p99 ms"]));
    }
}
