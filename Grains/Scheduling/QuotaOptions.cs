using Grains.Pipeline;

namespace Grains.Scheduling;

/// <summary>A tenant's limits: requests and model tokens per minute and per (UTC) day; 0 = no limit.</summary>
[GenerateSerializer, Immutable]
public sealed record QuotaLimits
{
    [Id(0)] public int RequestsPerMinute { get; init; }
    [Id(1)] public int RequestsPerDay { get; init; }
    [Id(2)] public int TokensPerMinute { get; init; }
    [Id(3)] public int TokensPerDay { get; init; }
}

/// <summary>Settings section <c>Quotas</c>: the limits each subscription tier gets; a tenant's profile may override them.</summary>
public sealed class QuotaOptions
{
    public const string Section = "Quotas";

    public QuotaLimits Free { get; set; } = new() { RequestsPerMinute = 20, RequestsPerDay = 500, TokensPerMinute = 10_000, TokensPerDay = 200_000 };
    public QuotaLimits Pro { get; set; } = new() { RequestsPerMinute = 120, RequestsPerDay = 10_000, TokensPerMinute = 60_000, TokensPerDay = 2_000_000 };
    public QuotaLimits Enterprise { get; set; } = new() { RequestsPerMinute = 1200 };

    /// <summary>
    /// Fair use: the share of a tenant's messages a minute that one browser may use, and one network address (several
    /// people behind one office or mobile network share it, hence more). At least <see cref="MinClientRequestsPerMinute"/>.
    /// </summary>
    public double ClientShare { get; set; } = 0.25;

    public double AddressShare { get; set; } = 0.5;

    public int MinClientRequestsPerMinute { get; set; } = 3;

    /// <summary>Per-client limits (browser, address) for a tenant's limits; none when the tenant has no per-minute limit.</summary>
    public (int Browser, int Address) ClientLimits(QuotaLimits tenant)
    {
        if (tenant.RequestsPerMinute <= 0) return (0, 0);
        var browser = Math.Max(MinClientRequestsPerMinute, (int)Math.Ceiling(tenant.RequestsPerMinute * ClientShare));
        return (browser, Math.Max(browser, (int)Math.Ceiling(tenant.RequestsPerMinute * AddressShare)));
    }

    public QuotaLimits For(Tier tier) => tier switch
    {
        Tier.Enterprise => Enterprise,
        Tier.Pro => Pro,
        _ => Free,
    };

    /// <summary>Rough token count of a prompt before the model says (about four characters a token) plus a typical answer.</summary>
    public static int EstimateTokens(string text) => (text?.Length ?? 0) / 4 + 200;
}
