using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Portal.Security;

/// <summary>An API key for automation (<c>Auth:ApiKeys</c>): only its hash is kept, with a name, roles and tenants like a staff account.</summary>
public sealed class ApiKeyAccount
{
    public string Name { get; set; } = "";
    /// <summary><c>sha256$BASE64</c> of the key (make a key and its hash with <c>dotnet run --project Portal -- new-api-key</c>).</summary>
    public string KeyHash { get; set; } = "";
    public List<string> Roles { get; set; } = [];
    public List<string> Tenants { get; set; } = [];
}

/// <summary>
/// Keys are 32 random bytes, so one SHA-256 is enough to keep them unreadable in settings (a password needs a slow
/// hash because people choose guessable ones; a random key is not guessable). Compared in constant time.
/// </summary>
public static class ApiKeyHash
{
    public const string Prefix = "sha256$";

    public static string NewKey() => "ap_" + Base64UrlEncoder(RandomNumberGenerator.GetBytes(32));

    public static string Of(string key) => Prefix + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static bool IsWellFormed(string? hash) =>
        hash is not null && hash.StartsWith(Prefix, StringComparison.Ordinal) && Convert.TryFromBase64String(hash[Prefix.Length..], new byte[32], out var n) && n == 32;

    public static bool Matches(string key, string hash) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Of(key)), Encoding.ASCII.GetBytes(hash));

    private static string Base64UrlEncoder(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>
/// <c>Authorization: Bearer KEY</c> for the portal's APIs. No header: no result (the request stays anonymous and an
/// API answers 401); a key that matches nothing: a failure, also 401. The principal carries the key's roles and
/// tenants, so endpoints authorize keys and staff the same way.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IOptionsMonitor<AuthOptions> auth) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return Task.FromResult(AuthenticateResult.NoResult());
        var key = header["Bearer ".Length..].Trim();
        var account = auth.CurrentValue.ApiKeys.FirstOrDefault(a => ApiKeyHash.Matches(key, a.KeyHash));
        if (account is null) return Task.FromResult(AuthenticateResult.Fail("unknown API key"));
        var identity = new ClaimsIdentity(SchemeName, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, "api-key:" + account.Name));
        identity.AddClaim(new Claim(ClaimTypes.Name, account.Name));
        foreach (var role in account.Roles) identity.AddClaim(new Claim(ClaimTypes.Role, role));
        foreach (var tenant in account.Tenants) identity.AddClaim(new Claim(StaffClaims.Tenant, tenant));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }
}
