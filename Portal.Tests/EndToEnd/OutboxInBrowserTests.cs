using Grains.Marketing;
using Microsoft.Playwright;

namespace Portal.Tests.EndToEnd;

/// <summary>The embedded default (no sink configured): an operator watches the lead's three deliveries arrive in the outbox.</summary>
public sealed class OutboxInBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task Without_configured_sinks_a_leads_slack_message_email_and_crm_upsert_appear_live_in_the_outbox()
    {
        var outbox = await server.SignedInPageAsync("operator", "/outbox");
        await Assertions.Expect(outbox.GetByText("Outbox", new() { Exact = true })).ToBeVisibleAsync();

        var leadId = "lead-" + Guid.NewGuid().ToString("N");
        var submitted = await server.Grains.GetGrain<ILeadGrain>(leadId).Submit(
            new LeadForm("stuttgart-motors", "Erika Mustermann", "erika@example.com", "Acme GmbH", "Which family SUV with a large boot do you have?"));
        Assert.True(submitted.Accepted);

        // No reload: the page shows deliveries as they come.
        var mine = outbox.Locator($"[data-testid=outbox-message][data-lead='{leadId}']");
        await Assertions.Expect(mine).ToHaveCountAsync(3, new() { Timeout = 60_000 });
        await Assertions.Expect(outbox.Locator($"[data-testid=outbox-message][data-lead='{leadId}'][data-channel=email]")).ToContainTextAsync("erika@example.com");
        await Assertions.Expect(outbox.Locator($"[data-testid=outbox-message][data-lead='{leadId}'][data-channel=email]")).ToContainTextAsync("Dear Erika Mustermann");
        await Assertions.Expect(outbox.Locator($"[data-testid=outbox-message][data-lead='{leadId}'][data-channel=crm]")).ToContainTextAsync(leadId);
        await Assertions.Expect(outbox.Locator($"[data-testid=outbox-message][data-lead='{leadId}'][data-channel=slack]")).ToContainTextAsync("#sales");
        await PortalServer.ScreenshotAsync(outbox, "outbox");
    }
}
