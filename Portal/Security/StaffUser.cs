using System.Security.Claims;

namespace Portal.Security;

/// <summary>What a signed-in staff member may see, read from their claims.</summary>
public static class StaffUser
{
    public static bool IsAdmin(this ClaimsPrincipal user) => user.IsInRole(StaffRoles.Admin);

    /// <summary>The moderation teams whose queues the user may work: all of them for an admin.</summary>
    public static IReadOnlyList<string> Teams(this ClaimsPrincipal user) => user.IsAdmin()
        ? Grains.Approvals.Teams.All
        : Grains.Approvals.Teams.All.Where(t => user.HasClaim(StaffClaims.Team, t)).ToList();

    /// <summary>True when the user sees every tenant (admin, operator); otherwise only <see cref="Tenants"/>.</summary>
    public static bool SeesAllTenants(this ClaimsPrincipal user) => user.IsAdmin() || user.IsInRole(StaffRoles.Operator);

    public static IReadOnlySet<string> Tenants(this ClaimsPrincipal user) =>
        user.FindAll(StaffClaims.Tenant).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);

    public static bool MaySeeTenant(this ClaimsPrincipal user, string tenantId) => user.SeesAllTenants() || user.Tenants().Contains(tenantId);

    /// <summary>How actions are recorded in audit trails: the sign-in name.</summary>
    public static string Actor(this ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? user.Identity?.Name ?? "unknown";
}
