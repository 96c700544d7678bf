using System.Text.RegularExpressions;
using Grains.Control;
using Microsoft.Playwright;

namespace Portal.Tests.EndToEnd;

/// <summary>Hard stop in Chromium: an operator holds answers, a moderator works the queue live, by mouse and by keyboard.</summary>
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

        // The held answer appears on the moderator's open page without a reload, with its context and verdicts.
        await Assertions.Expect(moderator.GetByTestId("approval-item")).ToContainTextAsync("I need a new e-bike");
        var detail = moderator.GetByTestId("approval-detail");
        await Assertions.Expect(detail.GetByTestId("approval-context")).ToContainTextAsync("I need a new e-bike");
        await Assertions.Expect(detail.GetByTestId("approval-verdicts")).ToContainTextAsync("hardstop.hold");
        await Assertions.Expect(detail.GetByTestId("sla")).ToContainTextAsync("escalates in");
        await Assertions.Expect(detail.GetByTestId("approval-answer")).ToHaveValueAsync(new Regex("E-Trek 500"));

        // Keyboard: E focuses the editor, Ctrl+Enter sends the edit.
        await moderator.Keyboard.PressAsync("e");
        await Assertions.Expect(detail.GetByTestId("approval-answer")).ToBeFocusedAsync();
        await detail.GetByTestId("approval-answer").FillAsync("The E-Trek 500 is perfect for you — come for a free test ride!");
        await Assertions.Expect(detail.GetByTestId("answer-diff")).ToContainTextAsync("free test ride");
        await PortalServer.ScreenshotAsync(moderator, "approvals-edit-with-diff");
        await moderator.Keyboard.PressAsync("Control+Enter");
        await Assertions.Expect(moderator.GetByTestId("decision-message")).ToContainTextAsync("Approved");
        await Assertions.Expect(moderator.GetByTestId("queue-empty")).ToBeVisibleAsync();
        await Assertions.Expect(moderator.GetByTestId("decided")).ToContainTextAsync("edited");
        await Assertions.Expect(moderator.GetByTestId("decided").GetByTestId("answer-diff")).ToContainTextAsync("test ride");

        // The customer's open chat shows the edited answer, once.
        var answer = chat.Locator("[data-testid=line-assistant][data-status=answered]");
        await Assertions.Expect(answer).ToContainTextAsync("free test ride");
        await Assertions.Expect(chat.Locator("[data-testid=line-assistant]")).ToHaveCountAsync(1);
        await PortalServer.ScreenshotAsync(chat, "chat-approved-edit");
        await server.Grains.GetGrain<IControlGrain>(0).SetHold(HoldScope.Tenant("velo-corner"), false, "test", null);
    }

    [Fact]
    public async Task Filters_narrow_the_queue_and_j_k_r_reject_an_item_with_a_replacement()
    {
        await server.Grains.GetGrain<IControlGrain>(0).SetHold(HoldScope.ForTier(Grains.Pipeline.Tier.Pro), true, "test", "keyboard test");
        await server.Grains.GetGrain<IControlGrain>(0).SetHold(HoldScope.Tenant("stuttgart-motors"), true, "test", "keyboard test");
        var moderator = await server.SignedInPageAsync("moderator", "/approvals");
        await Assertions.Expect(moderator.GetByTestId("queue-empty")).ToBeVisibleAsync();

        var bank = await server.NewPageAsync();
        await bank.GotoAsync(server.BaseUrl + "/");
        await bank.GetByTestId("tenant-harbor-bank").ClickAsync();
        await bank.GetByTestId("message").FillAsync("What are the opening hours of the branch?");
        await bank.GetByTestId("send").ClickAsync();
        var cars = await server.NewPageAsync();
        await cars.GotoAsync(server.BaseUrl + "/");
        await cars.GetByTestId("tenant-stuttgart-motors").ClickAsync();
        await cars.GetByTestId("message").FillAsync("Which electric car do you have?");
        await cars.GetByTestId("send").ClickAsync();

        await Assertions.Expect(moderator.GetByTestId("approval-item")).ToHaveCountAsync(2);
        await Assertions.Expect(moderator.GetByTestId("queue-count")).ToHaveTextAsync("2 of 2 waiting");
        await moderator.GetByTestId("filter-search").FillAsync("opening hours");
        await Assertions.Expect(moderator.GetByTestId("queue-count")).ToHaveTextAsync("1 of 2 waiting");
        await Assertions.Expect(moderator.GetByTestId("approval-item")).ToContainTextAsync("harbor-bank");
        await moderator.GetByTestId("filter-search").FillAsync("");
        await Assertions.Expect(moderator.GetByTestId("queue-count")).ToHaveTextAsync("2 of 2 waiting");

        // J and K move the selection through the list; then R rejects the Stuttgart item from the keyboard.
        await moderator.Locator("body").ClickAsync(new() { Position = new Position { X = 5, Y = 300 } });
        var detail = moderator.GetByTestId("approval-detail");
        var firstIsCars = (await moderator.GetByTestId("approval-item").First.InnerTextAsync()).Contains("stuttgart-motors");
        var (first, second) = firstIsCars ? ("stuttgart-motors", "harbor-bank") : ("harbor-bank", "stuttgart-motors");
        await Assertions.Expect(detail).ToContainTextAsync(first);
        await moderator.Keyboard.PressAsync("j");
        await Assertions.Expect(detail).ToContainTextAsync(second);
        await moderator.Keyboard.PressAsync("k");
        await Assertions.Expect(detail).ToContainTextAsync(first);
        if (!firstIsCars)
        {
            await moderator.Keyboard.PressAsync("j");
            await Assertions.Expect(detail).ToContainTextAsync("stuttgart-motors");
        }
        await moderator.Keyboard.PressAsync("r");
        await Assertions.Expect(moderator.GetByTestId("reject-panel")).ToBeVisibleAsync();
        await moderator.GetByTestId("reject-reason").FillAsync("we don't promise stock online");
        await moderator.GetByTestId("reject-replacement").FillAsync("Please ask our showroom which electric cars are in stock.");
        await moderator.GetByTestId("reject-confirm").ClickAsync();
        await Assertions.Expect(moderator.GetByTestId("decision-message")).ToContainTextAsync("Rejected");
        await Assertions.Expect(moderator.GetByTestId("approval-item")).ToHaveCountAsync(1);

        await Assertions.Expect(cars.Locator("[data-testid=line-assistant][data-status=replaced]")).ToContainTextAsync("ask our showroom");
        await Assertions.Expect(bank.GetByTestId("held")).ToBeVisibleAsync();
        await server.Grains.GetGrain<IControlGrain>(0).SetHold(HoldScope.ForTier(Grains.Pipeline.Tier.Pro), false, "test", null);
        await server.Grains.GetGrain<IControlGrain>(0).SetHold(HoldScope.Tenant("stuttgart-motors"), false, "test", null);
    }
}
