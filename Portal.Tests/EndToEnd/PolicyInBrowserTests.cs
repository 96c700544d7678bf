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
        await Assertions.Expect(page.GetByTestId("try-verdicts")).ToContainTextAsync("topic.off-topic");

        // An invalid threshold is refused with the field named; nothing is saved.
        await page.GetByTestId("toxicity-review").FillAsync("5");
        await page.GetByTestId("policy-save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("policy-errors")).ToContainTextAsync("toxicityReviewAbove");
        await Assertions.Expect(page.GetByTestId("policy-version")).ToHaveTextAsync("version 1");

        // A valid change becomes version 2, and the try box judges by it.
        await page.GetByTestId("toxicity-review").FillAsync("0.7");
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
