using Grains.Pipeline;

namespace Grains.Tenants;

/// <summary>A tenant: who it is, its subscription tier, what its assistant may talk about, and its brand rules.</summary>
[GenerateSerializer, Immutable]
public sealed record TenantProfile
{
    [Id(0)] public required string TenantId { get; init; }
    [Id(1)] public required string Name { get; init; }
    [Id(2)] public required string Business { get; init; }
    [Id(3)] public Tier Tier { get; init; }
    [Id(5)] public IReadOnlyList<CatalogItem> Catalog { get; init; } = [];
    /// <summary>What the customer gets when an answer is withheld.</summary>
    [Id(7)] public required string FallbackAnswer { get; init; }
    [Id(8)] public string Greeting { get; init; } = "Hello! How can I help?";
    /// <summary>Shown before prices, e.g. "€".</summary>
    [Id(9)] public string Currency { get; init; } = "€";
    /// <summary>What the guardrails enforce for this tenant, and at which thresholds.</summary>
    [Id(10)] public Guardrails.GuardrailPolicy Policy { get; init; } = new();
    /// <summary>Rate limits and quotas for this tenant; null = its tier's defaults (<c>Quotas</c> settings).</summary>
    [Id(11)] public Scheduling.QuotaLimits? Limits { get; init; }
}

[GenerateSerializer, Immutable]
public sealed record CatalogItem(
    [property: Id(0)] string Name,
    [property: Id(1)] string Category,
    [property: Id(2)] decimal Price,
    [property: Id(3)] string Description);
