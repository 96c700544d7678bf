using Microsoft.Playwright;

namespace Portal.Tests.EndToEnd;

/// <summary>A customer in Chromium, against the running portal: live answers without reloading the page.</summary>
public sealed class ChatInBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    private async Task<IPage> OpenDealerChatAsync()
    {
        var page = await server.NewPageAsync();
        await page.GotoAsync(server.BaseUrl + "/");
        var dealer = page.GetByTestId("tenant-stuttgart-motors");
        // Buttons are enabled only once the interactive circuit is up (no lost clicks).
        await Assertions.Expect(dealer).ToBeEnabledAsync();
        await dealer.ClickAsync();
        await Assertions.Expect(page.GetByTestId("chat-title")).ToHaveTextAsync("Stuttgart Motors");
        await Assertions.Expect(page.GetByTestId("greeting")).ToContainTextAsync("Welcome to Stuttgart Motors");
        await Assertions.Expect(page.GetByTestId("send-error")).ToHaveCountAsync(0);
        return page;
    }

    private static async Task SendAsync(IPage page, string text)
    {
        await page.GetByTestId("message").FillAsync(text);
        await page.GetByTestId("send").ClickAsync();
    }

    [Fact]
    public async Task A_customer_asks_and_sees_the_answer_arrive_live()
    {
        var page = await OpenDealerChatAsync();
        var navigations = 0;
        page.FrameNavigated += (_, f) => { if (f == page.MainFrame) navigations++; };

        await SendAsync(page, "Which electric car do you have?");
        await Assertions.Expect(page.GetByTestId("line-customer").Last).ToContainTextAsync("Which electric car");
        var answer = page.Locator("[data-testid=line-assistant][data-status=answered]");
        await Assertions.Expect(answer).ToContainTextAsync("EQS");
        Assert.Equal(0, navigations);
        await Assertions.Expect(page.GetByTestId("model-name")).ToContainTextAsync("deterministic demo model");
        await PortalServer.ScreenshotAsync(page, "chat-answered");
    }

    [Fact]
    public async Task The_transcript_keeps_the_newest_line_in_view()
    {
        var page = await OpenDealerChatAsync();
        await page.SetViewportSizeAsync(1280, 480); // a short window: a few exchanges overflow the transcript
        string[] questions = ["Which electric car do you have?", "Do you have an SUV?", "What does the EQS cost?", "Can I book a test drive?"];
        for (var i = 0; i < questions.Length; i++)
        {
            await SendAsync(page, questions[i]);
            await Assertions.Expect(page.Locator("[data-testid=line-assistant]")).ToHaveCountAsync(i + 1);
        }
        var transcript = page.GetByTestId("transcript");
        var overflow = await transcript.EvaluateAsync<int>("el => el.scrollHeight - el.clientHeight");
        Assert.True(overflow > 100, $"the transcript should overflow its box for this test to mean anything (overflow {overflow}px)");
        await Assertions.Expect(page.Locator("[data-testid=line-assistant]").Last).ToBeInViewportAsync();
        var belowView = await transcript.EvaluateAsync<int>("el => el.scrollHeight - el.scrollTop - el.clientHeight");
        Assert.True(belowView < 24, $"the newest line should be in view; {belowView}px of the transcript are below it");
        await PortalServer.ScreenshotAsync(page, "chat-scrolled-to-newest");
    }

    [Fact]
    public async Task An_address_that_opens_no_conversation_says_why()
    {
        var page = await server.NewPageAsync();
        // What a reload shows after a restart of the embedded default: its conversations were in memory.
        await page.GotoAsync(server.BaseUrl + "/chat/web-" + Guid.NewGuid().ToString("N"));
        await Assertions.Expect(page.GetByTestId("session-denied")).ToContainTextAsync("keeps conversations in memory only");
        await Assertions.Expect(page.GetByTestId("session-denied")).ToContainTextAsync("restarted");
        await Assertions.Expect(page.GetByTestId("tenant-stuttgart-motors")).ToBeEnabledAsync(); // and a way on
    }

    [Fact]
    public async Task A_rejected_message_is_explained_to_the_customer()
    {
        var page = await OpenDealerChatAsync();
        await SendAsync(page, "Write a romantic poem");
        var rejected = page.GetByTestId("rejected");
        await Assertions.Expect(rejected).ToContainTextAsync("Not sent to the assistant.");
        await Assertions.Expect(rejected).ToContainTextAsync("Mercedes-Benz dealership");

        await SendAsync(page, "Is a Porsche better than your cars?");
        await Assertions.Expect(page.GetByTestId("replaced")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("send-error")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("[data-testid=line-assistant][data-status=replaced]")).Not.ToContainTextAsync("Porsche");
        await PortalServer.ScreenshotAsync(page, "chat-rejected-and-replaced");
    }

    [Fact]
    public async Task The_operations_page_shows_the_embedded_kafka_stages_and_tiers()
    {
        var page = await server.SignedInPageAsync("operator", "/operations");
        await Assertions.Expect(page.GetByTestId("kafka-status")).ToContainTextAsync("Embedded Kafka");
        // Which guardrail models judge, and which weights version: what every verdict names too.
        await Assertions.Expect(page.GetByTestId("guardrail-models")).ToContainTextAsync("minilm:all-MiniLM-L6-v2 (in process)");
        await Assertions.Expect(page.GetByTestId("guardrail-models")).ToContainTextAsync("9 categories");
        await Assertions.Expect(page.GetByTestId("state-stores")).ToContainTextAsync("storage memory (embedded default");
        await Assertions.Expect(page.GetByTestId("stages")).ToContainTextAsync("agent-execution");
        await Assertions.Expect(page.GetByTestId("topics")).ToContainTextAsync("user.messages.raw");
        await Assertions.Expect(page.GetByTestId("tiers")).ToContainTextAsync("Enterprise");
        await PortalServer.ScreenshotAsync(page, "operations");

        var dashboard = await page.APIRequest.GetAsync(server.BaseUrl + "/dashboard");
        Assert.Equal(200, dashboard.Status);
    }
}
