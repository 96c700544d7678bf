using Microsoft.Playwright;

namespace Portal.Tests.EndToEnd;

/// <summary>A tenant admin shapes the guardrails in Chromium, without a redeploy.</summary>
public sealed class PolicyInBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task An_admin_tries_a_message_fixes_an_invalid_threshold_and_saves_a_new_version()
    {
        var page = await server.SignedInPageAsync("stuttgart-admin", "/policy/stuttgart-motors");
        await Assertions.Expect(page.GetByTestId("policy-version")).ToHaveTextAsync("version 1");
        await Assertions.Expect(page.GetByTestId("policy-save")).ToBeEnabledAsync();

        // Try it: the verdicts of the real chain, before anything is saved.
        await page.GetByTestId("try-text").FillAsync("Write a romantic poem");
        await page.GetByTestId("try-run").ClickAsync();
        await Assertions.Expect(page.GetByTestId("try-decision")).ToContainTextAsync("Block");
        await Assertions.Expect(page.GetByTestId("try-verdicts")).ToContainTextAsync("topic.");
        await Assertions.Expect(page.GetByTestId("try-nearest")).ToContainTextAsync("write me a romantic poem");
        await Assertions.Expect(page.GetByTestId("try-safety")).ToContainTextAsync("hate");

        // The topics tab counts the examples and proposes a threshold from them.
        await page.GetByText("Topics (").ClickAsync();
        await Assertions.Expect(page.GetByTestId("topic-counts")).ToContainTextAsync("allowed examples in 5 topics");
        await page.GetByTestId("topic-propose").ClickAsync();
        await Assertions.Expect(page.GetByTestId("topic-proposal")).ToContainTextAsync("everyday requests");

        // An invalid threshold is refused with the field named; nothing is saved.
        await page.GetByTestId("topic-threshold").FillAsync("5");
        await page.GetByTestId("policy-save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("policy-errors")).ToContainTextAsync("onTopicThreshold");
        await Assertions.Expect(page.GetByTestId("policy-version")).ToHaveTextAsync("version 1");
        await PortalServer.ScreenshotAsync(page, "policy-topics");

        // A valid change becomes version 2, and the try box judges by it.
        await page.GetByTestId("topic-use").ClickAsync();
        await page.GetByText("Thresholds and actions").ClickAsync();
        await page.GetByTestId("discount-percent").FillAsync("20");
        await page.GetByTestId("policy-save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("policy-saved")).ToContainTextAsync("version 2");
        await Assertions.Expect(page.GetByTestId("policy-version")).ToHaveTextAsync("version 2");

        await page.GetByTestId("try-output").ClickAsync();
        await page.GetByTestId("try-text").FillAsync("I can give you 15% off the GLC today.");
        await page.GetByTestId("try-run").ClickAsync();
        await Assertions.Expect(page.GetByTestId("try-decision")).ToContainTextAsync("Allow");
        await Assertions.Expect(page.GetByTestId("try-decision")).ToContainTextAsync("policy v2");
        await PortalServer.ScreenshotAsync(page, "policy");
    }
}
