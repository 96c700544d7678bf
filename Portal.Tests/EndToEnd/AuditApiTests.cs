using System.Net;
using System.Net.Http.Headers;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Grains.Audit;
using Grains.Conversations;
using Portal.Security;

namespace Portal.Tests.EndToEnd;

public sealed class AuditedPortal : PortalServer
{
    public const string VeloKey = "ap_test-velo-corner-tenant-admin-key-0123456789";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Auth:ApiKeys:1:Name"] = "velo-admin",
        ["Auth:ApiKeys:1:KeyHash"] = ApiKeyHash.Of(VeloKey),
        ["Auth:ApiKeys:1:Roles:0"] = StaffRoles.TenantAdmin,
        ["Auth:ApiKeys:1:Tenants:0"] = "velo-corner",
    };
}

/// <summary>The audit API as a tool uses it: a conversation's events from the log, in the CloudEvents batch format.</summary>
public sealed class AuditApiTests(AuditedPortal server) : IClassFixture<AuditedPortal>
{
    private const string DemoKey = "ap_ha7PTAkEYMxLkVC1oMglix7ldL8a1bHqXSfhOOswpkA"; // README's, operator

    private async Task<(string Session, IReadOnlyList<AuditEntry> Entries)> AnsweredConversationAsync(string tenant, string question)
    {
        var session = "audit-" + Guid.NewGuid().ToString("N");
        var chat = server.Grains.GetGrain<IConversationGrain>(session);
        await chat.Open(tenant);
        var sent = await chat.Send(question);
        Assert.True(sent.Accepted, sent.Error);
        var index = server.Grains.GetGrain<IAuditSessionGrain>(session);
        IReadOnlyList<AuditEntry> entries = [];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(entries = await index.Entries()).Any(e => e.Type == Grains.Pipeline.ChatEventTypes.ResponseFinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the answer to {session} was indexed within 30 s");
            await Task.Delay(100);
        }
        return (session, entries);
    }

    /// <summary>Read with the CNCF SDK's own JSON event format.</summary>
    private static async Task<IReadOnlyList<CloudEvent>> DecodeAsync(HttpResponseMessage response) =>
        new JsonEventFormatter().DecodeBatchModeMessage(
            new MemoryStream(await response.Content.ReadAsByteArrayAsync()), new System.Net.Mime.ContentType(response.Content.Headers.ContentType!.ToString()), null);

    internal static HttpRequestMessage Get(string url, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    [Fact]
    public async Task A_session_comes_back_as_a_CloudEvents_batch_in_log_order_with_where_each_event_is_in_Kafka()
    {
        var (session, entries) = await AnsweredConversationAsync("stuttgart-motors", "Which electric car do you have?");
        using var http = PortalHttp.Client();
        using var response = await http.SendAsync(Get($"{server.BaseUrl}/api/audit/sessions/{session}", DemoKey));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/cloudevents-batch+json", response.Content.Headers.ContentType?.MediaType);
        var events = await DecodeAsync(response);

        Assert.True(events.Count >= entries.Count);
        Assert.All(events, e => Assert.True(e.IsValid));
        Assert.Equal(Grains.Pipeline.ChatEventTypes.MessageReceived, events[0].Type);
        Assert.Contains(events, e => e.Type == Grains.Pipeline.ChatEventTypes.ResponseFinal && e.Data!.ToString()!.Contains("EQS"));
        foreach (var e in events)
        {
            Assert.False(string.IsNullOrEmpty((string?)e["kafkatopic"]));
            Assert.NotNull(e["kafkapartition"]);
            Assert.True(long.TryParse((string?)e["kafkaoffset"], out _));
            Assert.Equal(session, e["sessionid"]);
        }
        // Every indexed event is there, at the place the index gave.
        var returned = events.Select(e => ((string)e["kafkatopic"]!, Convert.ToInt32(e["kafkapartition"]), long.Parse((string)e["kafkaoffset"]!))).ToHashSet();
        Assert.All(entries, x => Assert.Contains((x.Position.Topic, x.Position.Partition, x.Position.Offset), returned));

        // The same as JSON lines, for tools that stream.
        using var jsonl = await http.SendAsync(Get($"{server.BaseUrl}/api/audit/sessions/{session}?format=jsonl", DemoKey));
        var lines = (await jsonl.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(events.Count, lines.Length);
        Assert.All(lines, line => Assert.Equal(System.Text.Json.JsonValueKind.Object, System.Text.Json.JsonDocument.Parse(line).RootElement.ValueKind));
    }

    [Fact]
    public async Task A_trace_id_gives_the_events_of_its_turn()
    {
        var (session, entries) = await AnsweredConversationAsync("stuttgart-motors", "Do you have an SUV?");
        var trace = entries.First(e => e.TraceId is not null).TraceId!;
        using var http = PortalHttp.Client();
        using var response = await http.SendAsync(Get($"{server.BaseUrl}/api/audit/traces/{trace}", DemoKey));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = await DecodeAsync(response);
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.Equal(session, e["sessionid"]));
    }

    [Fact]
    public async Task Anonymous_callers_and_wrong_keys_get_401_and_no_redirect()
    {
        using var http = PortalHttp.Client();
        foreach (var key in new[] { null, "ap_not-a-key" })
        {
            using var response = await http.SendAsync(Get($"{server.BaseUrl}/api/audit/sessions/anything", key));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Null(response.Headers.Location);
        }
    }

    [Fact]
    public async Task A_tenant_admin_sees_its_own_tenants_conversations_and_gets_404_for_another_tenants()
    {
        var (dealer, _) = await AnsweredConversationAsync("stuttgart-motors", "What does the GLC cost?");
        var (bikes, _) = await AnsweredConversationAsync("velo-corner", "How much is the e-bike?");
        using var http = PortalHttp.Client();

        using (var other = await http.SendAsync(Get($"{server.BaseUrl}/api/audit/sessions/{dealer}", AuditedPortal.VeloKey)))
            Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        using (var own = await http.SendAsync(Get($"{server.BaseUrl}/api/audit/sessions/{bikes}", AuditedPortal.VeloKey)))
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);

        // The same rule for a signed-in tenant admin (staff cookie).
        var cookie = await PortalHttp.SignInAsync(http, server.BaseUrl, "stuttgart-admin", PortalServer.DemoPasswords["stuttgart-admin"], "http");
        foreach (var (session, expected) in new[] { (dealer, HttpStatusCode.OK), (bikes, HttpStatusCode.NotFound) })
        {
            var request = Get($"{server.BaseUrl}/api/audit/sessions/{session}");
            request.Headers.Add("Cookie", cookie.Split(';')[0]);
            using var response = await http.SendAsync(request);
            Assert.Equal(expected, response.StatusCode);
        }
    }
}

/// <summary>The audit page as an auditor uses it, in Chromium.</summary>
public sealed class AuditInBrowserTests(AuditedPortal server) : IClassFixture<AuditedPortal>
{
    [Fact]
    public async Task An_operator_finds_a_conversation_by_session_and_reads_its_timeline_and_a_tenant_admin_only_its_own()
    {
        var session = "audit-ui-" + Guid.NewGuid().ToString("N");
        var chat = server.Grains.GetGrain<IConversationGrain>(session);
        await chat.Open("velo-corner");
        Assert.True((await chat.Send("How much is the e-bike?")).Accepted);
        var index = server.Grains.GetGrain<IAuditSessionGrain>(session);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await index.Entries()).Any(e => e.Type == Grains.Pipeline.ChatEventTypes.ResponseFinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "the answer was indexed within 30 s");
            await Task.Delay(100);
        }

        var page = await server.SignedInPageAsync("operator", "/audit");
        await Microsoft.Playwright.Assertions.Expect(page.GetByTestId("audit-find")).ToBeEnabledAsync();
        await page.GetByPlaceholder("session id or trace id").FillAsync(session);
        await page.GetByTestId("audit-find").ClickAsync();
        var rows = page.GetByTestId("audit-event");
        await Microsoft.Playwright.Assertions.Expect(page.GetByTestId("audit-title")).ToContainTextAsync(session);
        await Microsoft.Playwright.Assertions.Expect(rows.First).ToHaveAttributeAsync("data-type", Grains.Pipeline.ChatEventTypes.MessageReceived);
        await Microsoft.Playwright.Assertions.Expect(page.Locator($"[data-testid=audit-event][data-type='{Grains.Pipeline.ChatEventTypes.ResponseFinal}']")).ToContainTextAsync("E-Trek 500");
        await Microsoft.Playwright.Assertions.Expect(page.Locator($"[data-testid=audit-event][data-type='{Grains.Pipeline.ChatEventTypes.GuardrailEvaluated}']").First).ToContainTextAsync("allow");
        await Microsoft.Playwright.Assertions.Expect(page.GetByTestId("audit-timeline")).ToContainTextAsync("user.messages.raw[");
        await PortalServer.ScreenshotAsync(page, "audit-timeline");

        // Found by searching the tenant's turns as well, and opened from there.
        await page.GotoAsync(server.BaseUrl + "/audit");
        await Microsoft.Playwright.Assertions.Expect(page.GetByTestId("audit-search")).ToBeEnabledAsync();
        await page.GetByTestId("audit-tenant").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "Velo Corner" }).ClickAsync();
        var found = page.Locator("[data-testid=audit-found-turn][data-outcome=answered]", new() { HasText = session });
        // The select's value reaches the circuit asynchronously: search again until the chosen tenant's turns are listed.
        var searchUntil = DateTime.UtcNow.AddSeconds(20);
        do
        {
            await page.GetByTestId("audit-search").ClickAsync();
            try { await Microsoft.Playwright.Assertions.Expect(found).ToHaveCountAsync(1, new() { Timeout = 2_000 }); break; }
            catch (Microsoft.Playwright.PlaywrightException) when (DateTime.UtcNow < searchUntil) { }
        }
        while (true);
        await PortalServer.ScreenshotAsync(page, "audit-search");
        await found.GetByRole(Microsoft.Playwright.AriaRole.Link).ClickAsync();
        await Microsoft.Playwright.Assertions.Expect(page.GetByTestId("audit-title")).ToContainTextAsync(session);

        // A tenant admin of another tenant finds nothing there.
        var other = await server.SignedInPageAsync("stuttgart-admin", $"/audit/sessions/{session}");
        await Microsoft.Playwright.Assertions.Expect(other.GetByTestId("audit-none")).ToContainTextAsync("Nothing in the audit index");
        await Microsoft.Playwright.Assertions.Expect(other.GetByTestId("audit-event")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_held_answer_edited_by_a_moderator_shows_the_approval_step_with_its_diff_the_hold_in_force_and_a_trace_link()
    {
        var control = server.Grains.GetGrain<Grains.Control.IControlGrain>(0);
        var queue = server.Grains.GetGrain<Grains.Approvals.IApprovalQueueGrain>(Grains.Approvals.Teams.Review);
        var session = "audit-hold-" + Guid.NewGuid().ToString("N");
        var chat = server.Grains.GetGrain<IConversationGrain>(session);
        await chat.Open("velo-corner");
        await control.SetHold(Grains.Control.HoldScope.Tenant("velo-corner"), on: true, "ops@example.com", "new model rollout");
        string turnId;
        try
        {
            turnId = (await chat.Send("How much is the e-bike?")).TurnId!;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!(await queue.Pending()).Any(i => i.Turn.TurnId == turnId))
            {
                Assert.True(DateTime.UtcNow < deadline, "the answer was held within 30 s");
                await Task.Delay(100);
            }
        }
        finally
        {
            await control.SetHold(Grains.Control.HoldScope.Tenant("velo-corner"), on: false, "ops@example.com", null);
        }
        Assert.True((await queue.Approve(turnId, "mod@example.com", "The E-Trek 500 costs 2,499 euros, with a free first service.")).Applied);
        var index = server.Grains.GetGrain<IAuditSessionGrain>(session);
        var until = DateTime.UtcNow.AddSeconds(30);
        while ((await index.Entries()).Count(e => e.Type == Grains.Pipeline.ChatEventTypes.ApprovalRecorded) < 2)
        {
            Assert.True(DateTime.UtcNow < until, "the hold and the approval were indexed within 30 s");
            await Task.Delay(100);
        }

        // The approval steps are filed under the tenant like the rest, so its tenant admin reads the whole conversation.
        Assert.All((await index.Entries()).Where(e => e.Type == Grains.Pipeline.ChatEventTypes.ApprovalRecorded), e => Assert.Equal("velo-corner", e.TenantId));
        using (var http = PortalHttp.Client())
        using (var own = await http.SendAsync(AuditApiTests.Get($"{server.BaseUrl}/api/audit/sessions/{session}", AuditedPortal.VeloKey)))
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);

        var page = await server.SignedInPageAsync("operator", $"/audit/sessions/{session}");
        var steps = page.Locator($"[data-testid=audit-event][data-type='{Grains.Pipeline.ChatEventTypes.ApprovalRecorded}']");
        await Microsoft.Playwright.Assertions.Expect(steps.Filter(new() { HasText = "held by" })).ToHaveCountAsync(1);
        var edit = steps.Filter(new() { HasText = "edited by mod@example.com" });
        await Microsoft.Playwright.Assertions.Expect(edit).ToContainTextAsync("review team");
        await Microsoft.Playwright.Assertions.Expect(edit.Locator("ins.diff-added").First).ToBeVisibleAsync();
        await Microsoft.Playwright.Assertions.Expect(edit.Locator("ins.diff-added", new() { HasText = "service." })).ToHaveCountAsync(1);
        var stop = page.Locator("[data-testid=audit-stop][data-what='answers held']");
        await Microsoft.Playwright.Assertions.Expect(stop).ToContainTextAsync("tenant:velo-corner");
        await Microsoft.Playwright.Assertions.Expect(stop).ToContainTextAsync("new model rollout");
        await Microsoft.Playwright.Assertions.Expect(stop).ToContainTextAsync("off by ops@example.com");
        await PortalServer.ScreenshotAsync(page, "audit-hold-edit");

        // One turn, one trace (the moderator's steps too); its id opens the turn's own timeline (no trace viewer configured).
        await Microsoft.Playwright.Assertions.Expect(page.GetByTestId("audit-trace-link")).ToHaveCountAsync(1);
        await page.GetByTestId("audit-trace-link").ClickAsync();
        await Microsoft.Playwright.Assertions.Expect(page.GetByTestId("audit-title")).ToContainTextAsync("Trace ");
        await Microsoft.Playwright.Assertions.Expect(page.GetByTestId("audit-event").First).ToBeVisibleAsync();
    }
}