using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Portal.Tests.EndToEnd;

/// <summary>The portal configured for OpenID Connect against a stand-in identity provider on a loopback port (discovery document only).</summary>
public sealed class SingleSignOnPortal : PortalServer
{
    private WebApplication? _provider;

    public string Authority { get; private set; } = "";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Auth:Oidc:Authority"] = Authority,
        ["Auth:Oidc:ClientId"] = "agent-portal",
        ["Auth:Oidc:RequireHttpsMetadata"] = "false",
        ["Auth:Oidc:DisplayName"] = "Example SSO",
    };

    public override async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _provider = builder.Build();
        _provider.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Authority,
            ["authorization_endpoint"] = Authority + "/authorize",
            ["token_endpoint"] = Authority + "/token",
            ["jwks_uri"] = Authority + "/jwks",
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }));
        _provider.MapGet("/jwks", () => Results.Json(new { keys = Array.Empty<object>() }));
        _provider.MapGet("/authorize", () => Results.Text("identity provider sign-in page"));
        await _provider.StartAsync();
        Authority = _provider.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_provider is not null) await _provider.DisposeAsync();
    }
}

public sealed class SingleSignOnTests(SingleSignOnPortal server) : IClassFixture<SingleSignOnPortal>
{
    [Fact]
    public async Task With_an_authority_configured_the_sign_in_page_offers_sso_and_it_starts_an_authorization_code_flow_with_pkce()
    {
        var page = await server.NewPageAsync();
        await page.GotoAsync(server.BaseUrl + "/control");
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/account/login"));
        var sso = page.GetByTestId("login-sso");
        await Assertions.Expect(sso).ToHaveTextAsync("Sign in with Example SSO");
        await sso.ClickAsync();

        await page.WaitForURLAsync(u => u.StartsWith(server.Authority + "/authorize", StringComparison.Ordinal));
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(page.Url).Query);
        Assert.Equal("agent-portal", query["client_id"]);
        Assert.Equal("code", query["response_type"]);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.False(string.IsNullOrEmpty(query["code_challenge"]));
        Assert.Equal(server.BaseUrl.TrimEnd('/') + "/account/signin-oidc", query["redirect_uri"]);
        Assert.Contains("openid", query["scope"].ToString());
    }
}
