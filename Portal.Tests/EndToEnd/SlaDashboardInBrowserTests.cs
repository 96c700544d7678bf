using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Portal.Tests.EndToEnd;

/// <summary>The SLA dashboard follows live traffic per tier, and drills down to a tenant's limits and usage.</summary>
public sealed class SlaDashboardInBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task Tier_cards_update_live_as_customers_chat_and_a_tenant_drills_down_to_its_limits()
    {
        var op = await server.SignedInPageAsync("operator", "/sla");
        var enterprise = op.GetByTestId("sla-enterprise");
        await Assertions.Expect(enterprise).ToContainTextAsync("target p95 ≤ 5 s");
        await Assertions.Expect(enterprise.GetByTestId("sla-throughput")).ToContainTextAsync("0 turns in the last minute");

        var chat = await server.NewPageAsync();
        await chat.GotoAsync(server.BaseUrl + "/");
        await chat.GetByTestId("tenant-stuttgart-motors").ClickAsync();
        foreach (var question in new[] { "Which electric car do you have?", "Tell me about the GLC please" })
        {
            await chat.GetByTestId("message").FillAsync(question);
            await chat.GetByTestId("send").ClickAsync();
            await Assertions.Expect(chat.Locator("[data-testid=line-assistant][data-status=answered]")).Not.ToHaveCountAsync(0);
        }
        await Assertions.Expect(chat.Locator("[data-testid=line-assistant][data-status=answered]")).ToHaveCountAsync(2);

        // No reload: the open dashboard picks the turns up.
        await Assertions.Expect(enterprise.GetByTestId("sla-throughput")).ToContainTextAsync(new Regex("^2 turns in the last minute"));
        await Assertions.Expect(enterprise.GetByTestId("sla-state")).ToHaveTextAsync("within SLA");
        await Assertions.Expect(op.GetByTestId("sla-backends")).ToContainTextAsync("default");
        var row = op.Locator("[data-testid=sla-tenants] tr[data-tenant=stuttgart-motors]");
        await Assertions.Expect(row).ToContainTextAsync("enterprise");
        await row.GetByTestId("drill").ClickAsync();
        await Assertions.Expect(op.GetByTestId("tenant-usage")).ToContainTextAsync("1200");
        await PortalServer.ScreenshotAsync(op, "sla-dashboard");

        var tenantAdmin = await server.SignedInPageAsync("stuttgart-admin", "/sla");
        await Assertions.Expect(tenantAdmin.Locator("[data-testid=sla-tenants] tr[data-tenant=stuttgart-motors]")).ToBeVisibleAsync();
        await Assertions.Expect(tenantAdmin.Locator("[data-testid=sla-tenants] tr[data-tenant=harbor-bank]")).ToHaveCountAsync(0);
    }
}
