using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.Extensions.Options;

namespace Portal.Security;

/// <summary>A built-in staff account from settings (<c>Auth:Accounts</c>): never a password, only its hash.</summary>
public sealed class StaffAccount
{
    [Required] public string User { get; set; } = "";
    [Required] public string PasswordHash { get; set; } = "";
    public string? DisplayName { get; set; }
    public List<string> Roles { get; set; } = [];
    /// <summary>Moderation teams (moderators): review, discount, finance, legal.</summary>
    public List<string> Teams { get; set; } = [];
    /// <summary>Tenants a tenant admin manages.</summary>
    public List<string> Tenants { get; set; } = [];
}

/// <summary>Settings section <c>Auth</c>.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    public List<StaffAccount> Accounts { get; set; } = [];

    /// <summary>Keys for automation (the audit API): hashed, with roles and tenants.</summary>
    public List<ApiKeyAccount> ApiKeys { get; set; } = [];

    public OidcOptions Oidc { get; set; } = new();

    /// <summary>How long a staff sign-in lasts without activity.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);
}

/// <summary>OpenID Connect for real deployments: on when <see cref="Authority"/> is set.</summary>
public sealed class OidcOptions
{
    public string? Authority { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    public string DisplayName { get; set; } = "single sign-on";
    /// <summary>The identity provider's claim holding our role names (admin, operator, moderator, tenant-admin).</summary>
    public string RoleClaim { get; set; } = "roles";
    public string TeamClaim { get; set; } = "teams";
    public string TenantClaim { get; set; } = "tenants";
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}

/// <summary>Refuses settings that would lock staff out or let a typo pass silently (bad hash, unknown role).</summary>
public sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var errors = new List<string>();
        foreach (var (account, i) in options.Accounts.Select((a, i) => (a, i)))
        {
            var at = $"Auth:Accounts:{i} ({account.User})";
            if (string.IsNullOrWhiteSpace(account.User)) errors.Add($"Auth:Accounts:{i}: User is required.");
            if (!PasswordHash.IsWellFormed(account.PasswordHash))
                errors.Add($"{at}: PasswordHash must look like pbkdf2-sha512$ITERATIONS$SALT$HASH (make one with `dotnet run --project Portal -- hash-password`).");
            foreach (var role in account.Roles.Where(r => !StaffRoles.All.Contains(r)))
                errors.Add($"{at}: unknown role '{role}' (roles: {string.Join(", ", StaffRoles.All)}).");
            if (account.Roles.Count == 0) errors.Add($"{at}: give the account at least one role.");
            if (account.Roles.Contains(StaffRoles.Moderator) && account.Teams.Count == 0)
                errors.Add($"{at}: a moderator needs at least one team (review, discount, finance, legal).");
            foreach (var team in account.Teams.Where(t => !Grains.Approvals.Teams.All.Contains(t)))
                errors.Add($"{at}: unknown team '{team}'.");
            if (account.Roles.Contains(StaffRoles.TenantAdmin) && account.Tenants.Count == 0)
                errors.Add($"{at}: a tenant admin needs at least one tenant.");
        }
        foreach (var dup in options.Accounts.GroupBy(a => StaffUserName.Normalize(a.User), StringComparer.Ordinal).Where(g => g.Count() > 1))
            errors.Add($"Auth:Accounts: user '{dup.Key}' is listed twice.");
        foreach (var (key, i) in options.ApiKeys.Select((k, i) => (k, i)))
        {
            var at = $"Auth:ApiKeys:{i} ({key.Name})";
            if (string.IsNullOrWhiteSpace(key.Name)) errors.Add($"Auth:ApiKeys:{i}: Name is required.");
            if (!ApiKeyHash.IsWellFormed(key.KeyHash))
                errors.Add($"{at}: KeyHash must look like sha256$BASE64 (make a key and its hash with `dotnet run --project Portal -- new-api-key`).");
            foreach (var role in key.Roles.Where(r => !StaffRoles.All.Contains(r)))
                errors.Add($"{at}: unknown role '{role}' (roles: {string.Join(", ", StaffRoles.All)}).");
            if (key.Roles.Count == 0) errors.Add($"{at}: give the key at least one role.");
            if (key.Roles.Contains(StaffRoles.TenantAdmin) && key.Tenants.Count == 0) errors.Add($"{at}: a tenant admin key needs at least one tenant.");
        }
        if (options.Oidc.Enabled && string.IsNullOrWhiteSpace(options.Oidc.ClientId))
            errors.Add("Auth:Oidc: ClientId is required when Authority is set.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Checks a built-in account's password and builds the principal the portal authorizes against.</summary>
public sealed class StaffAccounts(IOptionsMonitor<AuthOptions> options)
{
    // Compared against when the user is unknown, so an unknown name costs as long as a wrong password.
    private static readonly string UnknownUserHash = PasswordHash.Create(Guid.NewGuid().ToString());

    public ClaimsPrincipal? SignIn(string user, string password, string scheme)
    {
        var name = StaffUserName.Normalize(user);
        var account = options.CurrentValue.Accounts.FirstOrDefault(a => StaffUserName.Normalize(a.User) == name);
        var ok = PasswordHash.Verify(password, account?.PasswordHash ?? UnknownUserHash);
        return ok && account is not null ? Principal(account, scheme) : null;
    }

    public static ClaimsPrincipal Principal(StaffAccount account, string scheme)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, account.User),
            new(ClaimTypes.Name, account.DisplayName ?? account.User),
        };
        claims.AddRange(account.Roles.Select(r => new Claim(ClaimTypes.Role, r)));
        claims.AddRange(account.Teams.Select(t => new Claim(StaffClaims.Team, t)));
        claims.AddRange(account.Tenants.Select(t => new Claim(StaffClaims.Tenant, t)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }
}
