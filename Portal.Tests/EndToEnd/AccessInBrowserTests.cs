using System.Text.RegularExpressions;
using Grains.Approvals;
using Grains.Pipeline;
using Microsoft.Playwright;

namespace Portal.Tests.EndToEnd;

/// <summary>Who may open what: staff pages need a sign-in and the right role or team; customers reach only their own conversation.</summary>
public sealed class AccessInBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    public static TheoryData<string> StaffPages => new()
    {
        "/operations", "/control", "/triggers", "/leads", "/outbox", "/policy", "/policy/stuttgart-motors", "/approvals", "/approvals?team=finance", "/analytics", "/sla", "/dashboard",
    };

    [Theory]
    [MemberData(nameof(StaffPages))]
    public async Task An_anonymous_visitor_of_a_staff_page_is_sent_to_sign_in_and_comes_back_after_it(string path)
    {
        var page = await server.NewPageAsync();
        await page.GotoAsync(server.BaseUrl + path);
        await page.WaitForURLAsync(new Regex("/account/login\\?ReturnUrl="));
        await Assertions.Expect(page.GetByTestId("login-submit")).ToBeVisibleAsync();

        await page.GetByTestId("login-user").FillAsync("admin");
        await page.GetByTestId("login-password").FillAsync(PortalServer.DemoPasswords["admin"]);
        await page.GetByTestId("login-submit").ClickAsync();
        await page.WaitForURLAsync(u => u.StartsWith(server.BaseUrl + path, StringComparison.Ordinal));
        if (path != "/dashboard") await Assertions.Expect(page.GetByTestId("signed-in-as")).ToContainTextAsync("Ada Admin");
    }

    [Fact]
    public async Task Pages_carry_a_content_security_policy_that_blocks_injected_scripts_and_the_portal_works_under_it()
    {
        var page = await server.NewPageAsync();
        var violations = new List<string>();
        page.Console += (_, message) => { if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)) violations.Add(message.Text); };
        var response = (await page.GotoAsync(server.BaseUrl + "/"))!;
        var headers = await response.AllHeadersAsync();
        Assert.Equal(Portal.Security.SecurityHeaders.Policy, headers["content-security-policy"]);
        Assert.Equal("nosniff", headers["x-content-type-options"]);
        Assert.Equal("strict-origin-when-cross-origin", headers["referrer-policy"]);
        // The circuit comes up (buttons enable only then) and a chat opens: Blazor and MudBlazor work under it.
        var dealer = page.GetByTestId("tenant-stuttgart-motors");
        await Assertions.Expect(dealer).ToBeEnabledAsync();
        await dealer.ClickAsync();
        await Assertions.Expect(page.GetByTestId("greeting")).ToContainTextAsync("Welcome to Stuttgart Motors");

        // An injected inline script does not run.
        try { await page.AddScriptTagAsync(new PageAddScriptTagOptions { Content = "window.__injected = 1;" }); }
        catch (PlaywrightException) { /* refused by the policy */ }
        Assert.True(await page.EvaluateAsync<bool>("() => window.__injected === undefined"), "an inline script ran despite the policy");
        violations.RemoveAll(v => v.Contains("inline", StringComparison.OrdinalIgnoreCase)); // that one was ours

        // Interactive staff pages (MudBlazor, the circuit's WebSocket) break nothing under the policy.
        var staff = await server.SignedInPageAsync("admin", "/sla");
        staff.Console += (_, message) => { if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)) violations.Add(message.Text); };
        await Assertions.Expect(staff.GetByTestId("signed-in-as")).ToContainTextAsync("Ada Admin");
        foreach (var path in new[] { "/policy/stuttgart-motors", "/control", "/approvals" })
        {
            await staff.GotoAsync(server.BaseUrl + path);
            await Assertions.Expect(staff.GetByTestId("signed-in-as")).ToContainTextAsync("Ada Admin");
        }
        Assert.Empty(violations);
    }

    [Fact]
    public async Task A_staff_cookie_copied_before_sign_out_stops_opening_staff_pages_with_the_sign_out()
    {
        var page = await server.SignedInPageAsync("operator", "/control");
        await Assertions.Expect(page.GetByTestId("signed-in-as")).ToContainTextAsync("operator");
        var copied = (await page.Context.CookiesAsync()).Select(c => new Cookie
        {
            Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path, HttpOnly = c.HttpOnly, Secure = c.Secure, SameSite = c.SameSite,
        }).ToList();
        Assert.Contains(copied, c => c.Name == "ap-staff");

        // Another browser with the copy is signed in too, until the owner signs out.
        await using var other = await server.Browser.NewContextAsync();
        await other.AddCookiesAsync(copied);
        var thief = await other.NewPageAsync();
        await thief.GotoAsync(server.BaseUrl + "/control");
        await Assertions.Expect(thief.GetByTestId("signed-in-as")).ToContainTextAsync("operator");

        await page.GetByTestId("sign-out").ClickAsync();
        await Assertions.Expect(page.GetByTestId("sign-in")).ToBeVisibleAsync();
        await thief.GotoAsync(server.BaseUrl + "/control");
        await thief.WaitForURLAsync(new Regex("/account/login"));
    }

    [Fact]
    public async Task Liveness_and_readiness_answer_anonymously_and_readiness_names_kafka_the_silo_and_the_store()
    {
        using var http = new HttpClient();
        using var live = await http.GetAsync(server.BaseUrl + "/health/live");
        Assert.Equal(System.Net.HttpStatusCode.OK, live.StatusCode);
        using var ready = await http.GetAsync(server.BaseUrl + "/health/ready");
        var body = System.Text.Json.JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        foreach (var check in new[] { "kafka", "silo", "store" })
            Assert.Equal("Healthy", body.GetProperty("checks").GetProperty(check).GetProperty("status").GetString());
        Assert.Contains("active silo", body.GetProperty("checks").GetProperty("silo").GetProperty("description").GetString());
        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, server.BaseUrl + "/health/ready"));
        Assert.Equal(System.Net.HttpStatusCode.OK, head.StatusCode);
    }

    [Fact]
    public async Task Forwarded_headers_from_a_proxy_nobody_named_change_nothing()
    {
        using var http = PortalHttp.Client();
        using var home = await http.SendAsync(PortalHttp.Forwarded(HttpMethod.Get, server.BaseUrl + "/", "https"));
        Assert.Contains(PortalHttp.SetCookies(home), c => c.StartsWith("ap-customer=", StringComparison.Ordinal) && !PortalHttp.IsSecure(c));
        Assert.False(home.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Head_of_the_home_page_answers_like_get()
    {
        using var http = PortalHttp.Client();
        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, server.BaseUrl + "/"));
        Assert.Equal(System.Net.HttpStatusCode.OK, head.StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_with_a_message_that_does_not_say_which_part_was_wrong()
    {
        var page = await server.NewPageAsync();
        await page.GotoAsync(server.BaseUrl + "/account/login?returnUrl=/control");
        await page.GetByTestId("login-user").FillAsync("operator");
        await page.GetByTestId("login-password").FillAsync("not-the-password");
        await page.GetByTestId("login-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("login-error")).ToHaveTextAsync("Wrong user name or password.");
        await PortalServer.ScreenshotAsync(page, "login-wrong-password");

        await page.GotoAsync(server.BaseUrl + "/control");
        await page.WaitForURLAsync(new Regex("/account/login"));
    }

    [Fact]
    public async Task A_moderator_cannot_see_another_teams_queue_and_a_member_of_that_team_can()
    {
        var turn = new ChatTurn
        {
            TurnId = "finance-" + Guid.NewGuid().ToString("N")[..8], TenantId = "harbor-bank", SessionId = "s-" + Guid.NewGuid().ToString("N")[..8],
            Tier = Tier.Pro, Text = "Should I move my savings into bitcoin?", Answer = "Yes, put everything into bitcoin.",
            Verdict = new Verdict("output-guardrail", VerdictDecision.Hold, "domain.finance", "financial advice", "A member of our team is reviewing the answer."),
        };
        await server.Grains.GetGrain<IApprovalQueueGrain>(Teams.Finance).Add(new ApprovalItem(turn, DateTimeOffset.UtcNow));

        // Mia moderates review and discount: the finance queue is refused, and not offered.
        var mia = await server.SignedInPageAsync("moderator", "/approvals?team=finance");
        await Assertions.Expect(mia.GetByTestId("team-denied")).ToContainTextAsync("not a member of the finance team");
        await Assertions.Expect(mia.GetByTestId("team-finance")).ToHaveCountAsync(0);
        await Assertions.Expect(mia.GetByTestId("team-review")).ToBeVisibleAsync();
        await Assertions.Expect(mia.GetByText("bitcoin")).ToHaveCountAsync(0);
        await PortalServer.ScreenshotAsync(mia, "approvals-other-team-denied");

        // Fin is in the finance team and sees the item.
        var fin = await server.SignedInPageAsync("finance", "/approvals?team=finance");
        await Assertions.Expect(fin.Locator($"[data-testid=approval-item][data-turn={turn.TurnId}]")).ToContainTextAsync("bitcoin");

        // An operator is not a moderator at all.
        var otto = await server.SignedInPageAsync("operator", "/operations");
        await otto.GotoAsync(server.BaseUrl + "/approvals?team=finance");
        await Assertions.Expect(otto.GetByTestId("access-denied")).ToBeVisibleAsync();
        await Assertions.Expect(otto.GetByText("bitcoin")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_tenant_admin_sees_only_its_own_tenants_policy()
    {
        var page = await server.SignedInPageAsync("stuttgart-admin", "/policy");
        await page.WaitForURLAsync(new Regex("/policy/stuttgart-motors$"));
        await Assertions.Expect(page.GetByTestId("policy-tenant-harbor-bank")).ToHaveCountAsync(0);
        await page.GotoAsync(server.BaseUrl + "/policy/harbor-bank");
        await Assertions.Expect(page.GetByTestId("policy-denied")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("policy-save")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_customer_cannot_open_another_browsers_conversation_but_can_reload_its_own()
    {
        var alice = await server.NewPageAsync();
        await alice.GotoAsync(server.BaseUrl + "/");
        await Assertions.Expect(alice.GetByTestId("tenant-harbor-bank")).ToBeEnabledAsync();
        await alice.GetByTestId("tenant-harbor-bank").ClickAsync();
        await alice.WaitForURLAsync(new Regex("/chat/web-[0-9a-f]{32}$"));
        await alice.GetByTestId("message").FillAsync("What are the opening hours of the branch?");
        await alice.GetByTestId("send").ClickAsync();
        await Assertions.Expect(alice.Locator("[data-testid=line-assistant]")).ToHaveCountAsync(1);
        var address = alice.Url;

        // Another browser (its own cookies) with the exact address: refused, nothing of Alice's shown.
        var mallory = await server.NewPageAsync();
        await mallory.GotoAsync(address);
        await Assertions.Expect(mallory.GetByTestId("session-denied")).ToContainTextAsync("belongs to another browser session");
        await Assertions.Expect(mallory.GetByText("opening hours")).ToHaveCountAsync(0);
        await Assertions.Expect(mallory.GetByTestId("message")).ToHaveCountAsync(0);
        await PortalServer.ScreenshotAsync(mallory, "chat-other-session-denied");

        // Alice's own reload continues her conversation.
        await alice.ReloadAsync();
        await Assertions.Expect(alice.Locator("[data-testid=line-customer]")).ToContainTextAsync("opening hours");
    }
}
