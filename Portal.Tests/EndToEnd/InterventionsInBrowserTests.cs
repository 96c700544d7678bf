using Grains.Analytics;
using Grains.Pipeline;
using Microsoft.Playwright;

namespace Portal.Tests.EndToEnd;

/// <summary>Intervention analytics: charts and tables per tenant, tier, rule and team; tenant admins see their own; the same figures on /metrics.</summary>
public sealed class InterventionsInBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task Figures_per_tenant_tier_rule_and_team_are_shown_scoped_to_the_viewer_and_exported_as_metrics()
    {
        var stats = server.Grains.GetGrain<IInterventionStatsGrain>(0);
        var now = DateTimeOffset.UtcNow;
        foreach (var (tenant, tier, rule, team, step, ms) in new (string, Tier, string, string, InterventionStep, double?)[]
        {
            ("stuttgart-motors", Tier.Enterprise, "discount.above-threshold", "discount", InterventionStep.Held, null),
            ("stuttgart-motors", Tier.Enterprise, "discount.above-threshold", "discount", InterventionStep.Edited, 90_000),
            ("stuttgart-motors", Tier.Enterprise, "discount.above-threshold", "discount", InterventionStep.Held, null),
            ("stuttgart-motors", Tier.Enterprise, "discount.above-threshold", "discount", InterventionStep.Rejected, 30_000),
            ("harbor-bank", Tier.Pro, "domain.finance", "finance", InterventionStep.Held, null),
            ("harbor-bank", Tier.Pro, "domain.finance", "finance", InterventionStep.DefaultApplied, 3_600_000),
        })
            await stats.Record(new InterventionRecord(tenant, tier, rule, team, step, ms, now));

        var admin = await server.SignedInPageAsync("stuttgart-admin", "/analytics");
        var byTenant = admin.GetByTestId("by-tenant");
        await Assertions.Expect(byTenant.Locator("tr[data-key=stuttgart-motors]")).ToContainTextAsync("50%"); // 1 of 2 rejected
        await Assertions.Expect(byTenant.Locator("tr[data-key=harbor-bank]")).ToHaveCountAsync(0);
        await Assertions.Expect(admin.GetByTestId("total-held")).ToHaveTextAsync("2");
        await Assertions.Expect(admin.Locator("svg").First).ToBeVisibleAsync();
        await PortalServer.ScreenshotAsync(admin, "interventions-tenant-admin");

        var op = await server.SignedInPageAsync("operator", "/analytics");
        await Assertions.Expect(op.GetByTestId("by-tenant").Locator("tr[data-key=harbor-bank]")).ToContainTextAsync("1"); // default applied
        await Assertions.Expect(op.GetByTestId("by-team").Locator("tr[data-key=finance]")).ToContainTextAsync("60 min");
        await Assertions.Expect(op.GetByTestId("by-tier").Locator("tr[data-key=enterprise]")).ToBeVisibleAsync();
        await Assertions.Expect(op.GetByTestId("total-default")).ToHaveTextAsync("1");

        var metrics = await op.APIRequest.GetAsync(server.BaseUrl + "/metrics");
        Assert.Equal(200, metrics.Status);
        var body = await metrics.TextAsync();
        Assert.Contains("agent_platform_interventions", body);
        Assert.Contains("tenant=\"harbor-bank\"", body);
    }
}
