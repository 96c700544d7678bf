namespace Portal.Security;

/// <summary>Who may do what in the portal. Customers are anonymous and never hold these roles.</summary>
public static class StaffRoles
{
    /// <summary>Everything.</summary>
    public const string Admin = "admin";

    /// <summary>Stops (soft and hard), SLA, operations figures.</summary>
    public const string Operator = "operator";

    /// <summary>Works the approval queues of the teams named in its <see cref="StaffClaims.Team"/> claims.</summary>
    public const string Moderator = "moderator";

    /// <summary>Its own tenant's (<see cref="StaffClaims.Tenant"/>) policies and figures only.</summary>
    public const string TenantAdmin = "tenant-admin";

    public static readonly string[] All = [Admin, Operator, Moderator, TenantAdmin];
}

public static class StaffClaims
{
    public const string Team = "team";
    public const string Tenant = "tenant";
}

/// <summary>Authorization policy names used by pages (<c>[Authorize(Policy = ...)]</c>) and endpoints.</summary>
public static class StaffPolicies
{
    public const string Staff = "staff";
    public const string Operators = "operators";
    public const string Moderators = "moderators";
    public const string PolicyEditors = "policy-editors";

    /// <summary>Conversation histories (the audit page): admins, operators, tenant admins for their tenants.</summary>
    public const string Auditors = "auditors";

    /// <summary>The same for the audit API, signed in as staff or with an API key (<c>Authorization: Bearer</c>).</summary>
    public const string AuditApi = "audit-api";

    /// <summary>The triggers API (<c>/api/triggers</c>): admins and operators, signed in as staff or with an API key.</summary>
    public const string TriggersApi = "triggers-api";
}
