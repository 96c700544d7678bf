using Microsoft.Playwright;

namespace Portal.Tests.EndToEnd;

/// <summary>Hard stop in Chromium: an operator holds a tenant's answers, a moderator edits and approves one live.</summary>
public sealed class ApprovalsInBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task A_moderator_sees_a_held_answer_appear_live_edits_it_and_the_customer_gets_the_edit()
    {
        var control = await server.SignedInPageAsync("operator", "/control");
        var hold = control.GetByTestId("hold-tenant-velo-corner");
        await Assertions.Expect(hold).ToBeEnabledAsync();
        await hold.ClickAsync();
        await control.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Hold", Exact = true }).ClickAsync();
        await Assertions.Expect(control.GetByTestId("control-history")).ToContainTextAsync("hold answers");
        await Assertions.Expect(control.GetByTestId("control-history")).ToContainTextAsync("operator");

        var moderator = await server.SignedInPageAsync("moderator", "/approvals");
        await Assertions.Expect(moderator.GetByTestId("queue-empty")).ToBeVisibleAsync();

        var chat = await server.NewPageAsync();
        await chat.GotoAsync(server.BaseUrl + "/");
        await Assertions.Expect(chat.GetByTestId("tenant-velo-corner")).ToBeEnabledAsync();
        await chat.GetByTestId("tenant-velo-corner").ClickAsync();
        await chat.GetByTestId("message").FillAsync("I need a new e-bike with a big battery");
        await chat.GetByTestId("send").ClickAsync();
        await Assertions.Expect(chat.GetByTestId("held")).ToContainTextAsync("reviewing");

        // The held answer appears on the moderator's open page without a reload.
        var item = moderator.GetByTestId("approval-item");
        await Assertions.Expect(item).ToContainTextAsync("I need a new e-bike");
        await Assertions.Expect(item.GetByTestId("approval-answer")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("E-Trek 500"));
        await item.GetByTestId("approval-answer").FillAsync("The E-Trek 500 is perfect for you — come for a free test ride!");
        await item.GetByTestId("approve").ClickAsync();
        await Assertions.Expect(moderator.GetByTestId("decision-message")).ToContainTextAsync("Approved");
        await Assertions.Expect(moderator.GetByTestId("queue-empty")).ToBeVisibleAsync();

        // The customer's open chat shows the edited answer, once.
        var answer = chat.Locator("[data-testid=line-assistant][data-status=answered]");
        await Assertions.Expect(answer).ToContainTextAsync("free test ride");
        await Assertions.Expect(chat.Locator("[data-testid=line-assistant]")).ToHaveCountAsync(1);
        await PortalServer.ScreenshotAsync(chat, "chat-approved-edit");
    }
}
