using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Grains.Approvals;
using Grains.Marketing;
using Microsoft.Playwright;
using netDumbster.smtp;

namespace Portal.Tests.EndToEnd;

/// <summary>The portal with the marketing sinks pointed at a real SMTP server and HTTP endpoints on loopback.</summary>
public sealed class MarketingPortal : PortalServer
{
    public SimpleSmtpServer Smtp { get; } = SimpleSmtpServer.Start(FreeLoopbackPort());
    public Endpoint Slack { get; } = new();
    public Endpoint Crm { get; } = new();

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Marketing:Sinks:SlackWebhookUrl"] = Slack.Url + "services/T000/B000/XXXX",
        ["Marketing:Sinks:CrmUrl"] = Crm.Url + "crm/leads",
        ["Marketing:Sinks:Smtp:Host"] = "127.0.0.1",
        ["Marketing:Sinks:Smtp:Port"] = Smtp.Configuration.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Marketing:Sinks:Smtp:Security"] = "None",
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Smtp.Dispose();
        Slack.Dispose();
        Crm.Dispose();
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>An HTTP endpoint on loopback that keeps every request (a Slack webhook, a CRM).</summary>
    public sealed class Endpoint : IDisposable
    {
        private readonly HttpListener _listener = new();
        public ConcurrentQueue<(string Method, string Path, string Body)> Requests { get; } = new();
        public string Url { get; }

        public Endpoint()
        {
            Url = $"http://127.0.0.1:{FreeLoopbackPort()}/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    HttpListenerContext context;
                    try { context = await _listener.GetContextAsync(); }
                    catch (Exception) when (!_listener.IsListening) { return; }
                    using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                    Requests.Enqueue((context.Request.HttpMethod, context.Request.Url!.AbsolutePath, await reader.ReadToEndAsync()));
                    context.Response.StatusCode = 200;
                    context.Response.Close();
                }
            });
        }

        public void Dispose() => _listener.Stop();
    }
}

/// <summary>The marketing assistant as its users meet it: a lead form in Chromium, mail and Slack and CRM on loopback, the lead board.</summary>
public sealed class LeadsInBrowserTests(MarketingPortal server) : IClassFixture<MarketingPortal>
{
    private static async Task<string> SubmitFormAsync(IPage page, string interest, string name = "Erika Mustermann")
    {
        await Assertions.Expect(page.GetByTestId("lead-submit")).ToBeEnabledAsync();
        await page.GetByTestId("lead-name").FillAsync(name);
        await page.GetByTestId("lead-email").FillAsync("erika@example.com");
        await page.GetByTestId("lead-company").FillAsync("Acme GmbH");
        await page.GetByTestId("lead-interest").FillAsync(interest);
        await page.GetByTestId("lead-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("lead-accepted")).ToContainTextAsync("Thank you, " + name);
        return interest;
    }

    private List<netDumbster.smtp.SmtpMessage> Mails(string marker) =>
        server.Smtp.ReceivedEmail.Where(m => m.TextBody().Contains(marker, StringComparison.Ordinal)).ToList();

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"within 60 s: {what}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_lead_from_the_public_form_reaches_the_SMTP_server_Slack_and_the_CRM_once_each_and_shows_as_sent_on_the_board()
    {
        var page = await server.NewPageAsync();
        await page.GotoAsync(server.BaseUrl + "/leads/stuttgart-motors");
        await Assertions.Expect(page.GetByTestId("lead-title")).ToContainTextAsync("Stuttgart Motors");
        await PortalServer.ScreenshotAsync(page, "lead-form");

        // Bad input first: clear errors per field, nothing sent.
        await Assertions.Expect(page.GetByTestId("lead-submit")).ToBeEnabledAsync();
        await page.GetByTestId("lead-email").FillAsync("not-an-address");
        await page.GetByTestId("lead-submit").ClickAsync();
        await Assertions.Expect(page.GetByText("'not-an-address' is not an e-mail address.")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Please tell us your name.")).ToBeVisibleAsync();

        await SubmitFormAsync(page, "We need an electric car for our sales team, something like the EQS.");
        await UntilAsync(() => Mails("Dear Erika Mustermann").Count > 0 && !server.Slack.Requests.IsEmpty && !server.Crm.Requests.IsEmpty, "the mail, the Slack post and the CRM upsert");

        var mail = Assert.Single(Mails("Dear Erika Mustermann"));
        Assert.Equal("erika@example.com", mail.ToAddresses.Single().Address);
        Assert.Contains("Mercedes-Benz EQS", mail.TextBody());
        var leadId = mail.Headers["X-Lead-Id"]!;
        Assert.Single(server.Crm.Requests, r => r.Method == "PUT" && r.Path == $"/crm/leads/{leadId}");
        Assert.Single(server.Slack.Requests, r => r.Method == "POST" && r.Body.Contains("New lead: Erika Mustermann", StringComparison.Ordinal));

        var board = await server.SignedInPageAsync("operator", "/leads");
        var row = board.Locator($"[data-testid=lead-row][data-lead='{leadId}']");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "sent");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-step", "10");
        await PortalServer.ScreenshotAsync(board, "lead-board");

        // The lead's audit timeline, as for a conversation: every step's event, read back from its topic.
        await row.GetByRole(AriaRole.Link, new() { Name = "timeline" }).ClickAsync();
        await Assertions.Expect(board.GetByTestId("audit-title")).ToContainTextAsync(leadId);
        foreach (var topic in new[] { LeadTopics.New, LeadTopics.Cleaned, LeadTopics.PitchGenerated, LeadTopics.PitchCompliant, LeadTopics.PitchAnalyzed,
                     LeadTopics.AvailabilityChecked, LeadTopics.MessageReady, LeadTopics.MessageApproved, LeadTopics.NotificationsSales, LeadTopics.EmailSend, LeadTopics.CrmSync })
            await Assertions.Expect(board.GetByTestId("audit-timeline")).ToContainTextAsync(topic + "[");
        // Each line says what its step added, not the raw record.
        await Assertions.Expect(board.Locator($"[data-testid=audit-event][data-type='{LeadEventTypes.AvailabilityChecked}']")).ToContainTextAsync("in stock");
        await Assertions.Expect(board.Locator($"[data-testid=audit-event][data-type='{LeadEventTypes.PitchAnalyzed}']")).ToContainTextAsync("lead score");
        await Assertions.Expect(board.Locator($"[data-testid=audit-event][data-type='{LeadEventTypes.EmailRequested}']")).ToContainTextAsync("e-mail to erika@example.com");
        await PortalServer.ScreenshotAsync(board, "lead-audit");
    }

    [Fact]
    public async Task A_risky_pitch_waits_for_approval_and_the_moderators_edit_is_what_the_lead_gets()
    {
        var page = await server.NewPageAsync();
        await page.GotoAsync(server.BaseUrl + "/leads/stuttgart-motors");
        await SubmitFormAsync(page, "What is your best deal on a GLC for our company fleet of twelve?", "Max Mustermann");

        var queue = server.Grains.GetGrain<IApprovalQueueGrain>(Teams.Marketing);
        ApprovalItem? held = null;
        await UntilAsync(() => (held = queue.Pending().GetAwaiter().GetResult().FirstOrDefault(i => i.Turn.Text.Contains("fleet of twelve", StringComparison.Ordinal))) is not null,
            "the message in the marketing queue");
        var board = await server.SignedInPageAsync("operator", "/leads");
        await Assertions.Expect(board.Locator($"[data-testid=lead-row][data-lead='{held!.Turn.TurnId}'] [data-testid=lead-waiting]"))
            .ToContainTextAsync("marketing approvals queue");
        Assert.Empty(Mails("fleet conditions"));

        // The moderator of the marketing team edits it on the approvals page, as for chat: the risk named, the diff shown.
        var moderator = await server.SignedInPageAsync("moderator", "/approvals?team=marketing");
        await Assertions.Expect(moderator.GetByTestId("approval-item")).ToContainTextAsync("fleet of twelve");
        var detail = moderator.GetByTestId("approval-detail");
        await Assertions.Expect(detail.GetByTestId("approval-verdicts")).ToContainTextAsync("marketing.discount");
        await Assertions.Expect(detail.GetByTestId("approval-answer")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("25% off"));
        var edited = held.Turn.Answer!.Replace("As a welcome offer, we can give you 25% off your first order.", "Ask us about our fleet conditions.", StringComparison.Ordinal);
        Assert.NotEqual(held.Turn.Answer, edited);
        await moderator.Keyboard.PressAsync("e");
        await detail.GetByTestId("approval-answer").FillAsync(edited);
        await Assertions.Expect(detail.GetByTestId("answer-diff")).ToContainTextAsync("fleet conditions");
        await moderator.Keyboard.PressAsync("Control+Enter");
        await Assertions.Expect(moderator.GetByTestId("decision-message")).ToContainTextAsync("Approved");
        await Assertions.Expect(moderator.GetByTestId("decided")).ToContainTextAsync("edited");
        await moderator.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", "lead-approval-edit.png"), FullPage = true });

        await UntilAsync(() => Mails("fleet conditions").Count > 0, "the edited message at the SMTP server");
        var body = Assert.Single(Mails("fleet conditions")).TextBody();
        Assert.DoesNotContain("25%", body);
        Assert.Equal("moderator", (await queue.Get(held.Turn.TurnId))!.DecidedBy);
    }
}

/// <summary>What a received mail says, decoded (the raw body is quoted-printable, lines folded).</summary>
internal static class ReceivedMail
{
    public static string TextBody(this netDumbster.smtp.SmtpMessage mail) =>
        MimeKit.MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(mail.Data))).TextBody ?? "";
}
