using Grains.Pipeline;

namespace Grains.Control;

/// <summary>Scopes of the hard stop: every answer, one tenant's, or one tier's.</summary>
public static class HoldScope
{
    public const string All = "all";

    public static string Tenant(string tenantId) => "tenant:" + tenantId;

    public static string ForTier(Tier tier) => "tier:" + tier.ToString().ToLowerInvariant();

    public static bool Applies(IReadOnlyCollection<string> holds, string tenantId, Tier tier) =>
        holds.Contains(All) || holds.Contains(Tenant(tenantId)) || holds.Contains(ForTier(tier));

    public static bool IsValid(string scope) =>
        scope == All || (scope.StartsWith("tenant:", StringComparison.Ordinal) && scope.Length > 7) ||
        Enum.GetValues<Tier>().Any(t => scope == ForTier(t));
}
