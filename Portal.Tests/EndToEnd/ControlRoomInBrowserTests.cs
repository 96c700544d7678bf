using Microsoft.Playwright;

namespace Portal.Tests.EndToEnd;

/// <summary>An operator pauses the model stage while a customer waits, then resumes it; nothing is lost.</summary>
public sealed class ControlRoomInBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task A_paused_model_stage_holds_the_question_and_resume_delivers_the_answer_live()
    {
        var control = await server.SignedInPageAsync("operator", "/control");
        var model = control.GetByTestId("stage-agent-execution");
        await Assertions.Expect(model.GetByTestId("stage-state")).ToHaveTextAsync("Running");
        await model.GetByPlaceholder("why (recorded)").FillAsync("model provider maintenance");
        await model.GetByTestId("stage-pause").ClickAsync();
        await control.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Pause", Exact = true }).ClickAsync(); // confirm
        await Assertions.Expect(model.GetByTestId("stage-state")).ToHaveTextAsync("Paused");
        await Assertions.Expect(model).ToContainTextAsync("model provider maintenance");

        // A customer asks meanwhile: the question waits in Kafka, the chat shows it is being handled.
        var chat = await server.NewPageAsync();
        await chat.GotoAsync(server.BaseUrl + "/");
        await Assertions.Expect(chat.GetByTestId("tenant-stuttgart-motors")).ToBeEnabledAsync();
        await chat.GetByTestId("tenant-stuttgart-motors").ClickAsync();
        await chat.GetByTestId("message").FillAsync("Which electric car do you have?");
        await chat.GetByTestId("send").ClickAsync();
        await Assertions.Expect(chat.GetByTestId("pending")).ToBeVisibleAsync();
        await Assertions.Expect(chat.GetByTestId("delayed")).ToContainTextAsync("Answers are delayed", new() { Timeout = 15_000 }); // told, not left with a spinner
        await Assertions.Expect(model.GetByTestId("stage-lag")).Not.ToHaveTextAsync("0", new() { Timeout = 15_000 });
        await PortalServer.ScreenshotAsync(control, "control-room-paused");
        await Assertions.Expect(chat.Locator("[data-testid=line-assistant]")).ToHaveCountAsync(0);

        await model.GetByTestId("stage-resume").ClickAsync();
        await control.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Resume", Exact = true }).ClickAsync();
        await Assertions.Expect(model.GetByTestId("stage-state")).ToHaveTextAsync("Running");
        await Assertions.Expect(chat.Locator("[data-testid=line-assistant][data-status=answered]")).ToContainTextAsync("EQS");
        await Assertions.Expect(chat.Locator("[data-testid=line-assistant]")).ToHaveCountAsync(1);
        await Assertions.Expect(chat.GetByTestId("delayed")).ToHaveCountAsync(0);
        await Assertions.Expect(control.GetByTestId("control-history")).ToContainTextAsync("pause");
    }

    [Fact]
    public async Task A_hold_shows_as_in_force_only_once_confirmed_and_records_its_reason()
    {
        var control = await server.SignedInPageAsync("operator", "/control");
        var hold = control.GetByTestId("hold-tenant-harbor-bank");
        await Assertions.Expect(hold).ToHaveAttributeAsync("data-held", "false");

        await hold.ClickAsync();
        await control.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();
        await Assertions.Expect(control.Locator(".mud-dialog")).ToHaveCountAsync(0);
        await Assertions.Expect(hold).ToHaveAttributeAsync("data-held", "false"); // cancelled: nothing changed, nothing shown as changed
        Assert.DoesNotContain(Grains.Control.HoldScope.Tenant("harbor-bank"), await server.Grains.GetGrain<Grains.Control.IControlGrain>(0).GetHolds());

        await control.GetByPlaceholder("why (recorded with the next hold or release)").FillAsync("regulator asked for a review of card answers");
        await hold.ClickAsync();
        await control.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Hold", Exact = true }).ClickAsync();
        await Assertions.Expect(hold).ToHaveAttributeAsync("data-held", "true");
        await Assertions.Expect(control.GetByTestId("control-history")).ToContainTextAsync("regulator asked for a review of card answers");
        await PortalServer.ScreenshotAsync(control, "control-room-hold");

        await hold.ClickAsync();
        await control.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Release", Exact = true }).ClickAsync();
        await Assertions.Expect(hold).ToHaveAttributeAsync("data-held", "false");
    }
}
