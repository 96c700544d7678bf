using System.Net;
using System.Text.RegularExpressions;

namespace Portal.Tests.EndToEnd;

/// <summary>The portal behind a TLS-terminating proxy on loopback, named in <c>Portal:TrustedProxies</c>.</summary>
public sealed class ProxiedPortal : PortalServer
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Portal:TrustedProxies:0"] = "127.0.0.1",
        ["Portal:TrustedProxies:1"] = "::1",
    };
}

/// <summary>Cookies are Secure when the browser spoke HTTPS to the proxy, and the client's address is the one the proxy saw.</summary>
public sealed class BehindProxyTests(ProxiedPortal server) : IClassFixture<ProxiedPortal>
{
    [Fact]
    public async Task Over_https_at_a_trusted_proxy_the_customer_and_staff_cookies_are_secure_and_hsts_is_sent()
    {
        using var http = PortalHttp.Client();
        using var home = await http.SendAsync(PortalHttp.Forwarded(HttpMethod.Get, server.BaseUrl + "/", "https"));
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        Assert.Contains(PortalHttp.SetCookies(home), c => c.StartsWith("ap-customer=", StringComparison.Ordinal) && PortalHttp.IsSecure(c));
        Assert.True(home.Headers.Contains("Strict-Transport-Security"));

        var staff = await PortalHttp.SignInAsync(http, server.BaseUrl, "operator", PortalServer.DemoPasswords["operator"], "https");
        Assert.True(PortalHttp.IsSecure(staff), staff);
    }

    [Fact]
    public async Task Plain_http_at_the_proxy_keeps_cookies_usable_over_http()
    {
        using var http = PortalHttp.Client();
        var staff = await PortalHttp.SignInAsync(http, server.BaseUrl, "moderator", PortalServer.DemoPasswords["moderator"], "http");
        Assert.False(PortalHttp.IsSecure(staff), staff);
    }

    [Fact]
    public async Task The_sign_in_throttle_counts_the_clients_address_not_the_proxys()
    {
        using var http = PortalHttp.Client();
        // A guesser behind the proxy is slowed down...
        for (var i = 0; i < 12; i++)
            await PortalHttp.PostLoginAsync(http, server.BaseUrl, $"nobody{i}", "wrong", "https", forwardedFor: "203.0.113.50");
        var slowed = await PortalHttp.PostLoginAsync(http, server.BaseUrl, "nobody-else", "wrong", "https", forwardedFor: "203.0.113.50");
        Assert.Matches(new Regex("Too many failed attempts"), slowed);
        // ...and a colleague behind the same proxy is not.
        var colleague = await PortalHttp.SignInAsync(http, server.BaseUrl, "finance", PortalServer.DemoPasswords["finance"], "https", forwardedFor: "198.51.100.77");
        Assert.StartsWith("ap-staff=", colleague, StringComparison.Ordinal);
    }
}
