using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Grains.Audit;
using Grains.Conversations;
using Microsoft.Playwright;

namespace Portal.Tests.EndToEnd;

/// <summary>Recorded conversations for the what-if tests: answered, and in the audit index.</summary>
internal static class RecordedConversations
{
    public static async Task<string> AnsweredAsync(AuditedPortal server, string tenant, string question)
    {
        var session = "whatif-" + Guid.NewGuid().ToString("N");
        var chat = server.Grains.GetGrain<IConversationGrain>(session);
        await chat.Open(tenant);
        Assert.True((await chat.Send(question)).Accepted);
        var index = server.Grains.GetGrain<IAuditSessionGrain>(session);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await index.Entries()).Count(e => e.Type == Grains.Pipeline.ChatEventTypes.GuardrailEvaluated) < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, $"both evaluations of {session} were indexed within 30 s");
            await Task.Delay(100);
        }
        return session;
    }
}

/// <summary>The what-if API as a tool uses it: a draft's changes over recorded conversations, the audit API's access rules.</summary>
public sealed class WhatIfApiTests(AuditedPortal server) : IClassFixture<AuditedPortal>
{
    private const string DemoKey = "ap_ha7PTAkEYMxLkVC1oMglix7ldL8a1bHqXSfhOOswpkA"; // README's, operator

    private static HttpRequestMessage Post(string url, object body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json") };
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    private string Url(string tenant) => $"{server.BaseUrl}/api/audit/tenants/{tenant}/whatif";

    [Fact]
    public async Task A_draft_naming_a_competitor_shows_the_recorded_answer_newly_blocked_beside_its_recorded_verdict()
    {
        var session = await RecordedConversations.AnsweredAsync(server, "stuttgart-motors", "Which electric car do you have?");
        using var http = PortalHttp.Client();
        using var response = await http.SendAsync(Post(Url("stuttgart-motors"), new { policy = new { competitors = new[] { "EQS" } }, scope = new { sessionId = session } }, DemoKey));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var totals = json.RootElement.GetProperty("totals");
        Assert.Equal(1, totals.GetProperty("newlyBlocked").GetInt32());
        Assert.Equal(2, totals.GetProperty("messages").GetInt32());
        var changed = json.RootElement.GetProperty("messages").EnumerateArray().Single(m => m.GetProperty("change").GetString() != "none");
        Assert.Equal("newlyBlocked", changed.GetProperty("change").GetString());
        Assert.Equal("allow", changed.GetProperty("recorded").GetProperty("decision").GetString());
        Assert.Equal("brand.competitor-mention", changed.GetProperty("draft").GetProperty("rule").GetString());
        Assert.Contains(json.RootElement.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("LLM judge"));
    }

    [Fact]
    public async Task A_bad_draft_or_scope_gets_400_listing_every_error_by_field()
    {
        using var http = PortalHttp.Client();
        using var response = await http.SendAsync(Post(Url("stuttgart-motors"),
            new { policy = new { onTopicThreshold = 2, whenClassifiersUnavailable = "allow" }, scope = new { lastTurns = 10 } }, DemoKey));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = problem.RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty("policy.onTopicThreshold", out _));
        Assert.True(errors.TryGetProperty("policy.whenClassifiersUnavailable", out _));

        using var unknownField = await http.SendAsync(Post(Url("stuttgart-motors"), new { policy = new { toxicityReviewAbove = 0.7 }, scope = new { lastTurns = 10 } }, DemoKey));
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);
        using var noScope = await http.SendAsync(Post(Url("stuttgart-motors"), new { policy = new { } }, DemoKey));
        Assert.Equal(HttpStatusCode.BadRequest, noScope.StatusCode);
        Assert.Contains("scope", await noScope.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_tenant_admin_gets_404_for_another_tenant_and_for_another_tenants_conversation()
    {
        var dealer = await RecordedConversations.AnsweredAsync(server, "stuttgart-motors", "What does the GLC cost?");
        using var http = PortalHttp.Client();
        using (var other = await http.SendAsync(Post(Url("stuttgart-motors"), new { scope = new { lastTurns = 5 } }, AuditedPortal.VeloKey)))
            Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        using (var foreignSession = await http.SendAsync(Post(Url("velo-corner"), new { scope = new { sessionId = dealer } }, AuditedPortal.VeloKey)))
            Assert.Equal(HttpStatusCode.NotFound, foreignSession.StatusCode);
        using (var own = await http.SendAsync(Post(Url("velo-corner"), new { scope = new { lastTurns = 5 } }, AuditedPortal.VeloKey)))
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        using (var unknown = await http.SendAsync(Post(Url("no-such-tenant"), new { scope = new { lastTurns = 5 } }, DemoKey)))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Anonymous_callers_get_401_and_no_redirect()
    {
        using var http = PortalHttp.Client();
        foreach (var key in new[] { null, "ap_not-a-key" })
        {
            using var response = await http.SendAsync(Post(Url("stuttgart-motors"), new { scope = new { lastTurns = 5 } }, key));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Null(response.Headers.Location);
        }
    }
}

/// <summary>The what-if panel of the policy page, in Chromium: the unsaved draft over the last turns, changes side by side.</summary>
public sealed class WhatIfInBrowserTests(AuditedPortal server) : IClassFixture<AuditedPortal>
{
    [Fact]
    public async Task A_tenant_admin_runs_an_unsaved_draft_over_the_last_turns_and_sees_the_answer_it_would_block()
    {
        var session = await RecordedConversations.AnsweredAsync(server, "stuttgart-motors", "Which electric car do you have?");

        var page = await server.SignedInPageAsync("stuttgart-admin", "/policy/stuttgart-motors");
        await Assertions.Expect(page.GetByTestId("whatif-run")).ToBeEnabledAsync();
        await page.GetByTestId("whatif-run").ClickAsync();
        // A run reads the recorded turns back from Kafka and judges them again: seconds on a loaded machine, not 5.
        var run = new LocatorAssertionsToBeVisibleOptions { Timeout = 30_000 };
        await Assertions.Expect(page.GetByTestId("whatif-nochange")).ToBeVisibleAsync(run); // the saved policy decides as it did

        await page.GetByTestId("competitors").FillAsync("Porsche\nEQS");
        await page.GetByTestId("whatif-run").ClickAsync();
        var row = page.Locator("[data-testid=whatif-change][data-change=newlyBlocked]", new() { HasText = "EQS" });
        await Assertions.Expect(row).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Assertions.Expect(row.GetByTestId("whatif-recorded")).ToContainTextAsync("Allow");
        await Assertions.Expect(row.GetByTestId("whatif-draft")).ToContainTextAsync("brand.competitor-mention");
        await Assertions.Expect(page.GetByTestId("whatif-newly-blocked")).ToContainTextAsync("1 newly blocked");
        await Assertions.Expect(page.GetByTestId("whatif-notes")).ToContainTextAsync("LLM judge");
        await Assertions.Expect(row.Locator($"a[href='/audit/sessions/{session}']")).ToHaveCountAsync(1);
        await PortalServer.ScreenshotAsync(page, "policy-whatif");

        // Nothing was saved.
        await Assertions.Expect(page.GetByTestId("policy-version")).ToHaveTextAsync("version 1");
    }
}
