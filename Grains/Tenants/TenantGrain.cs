using Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace Grains.Tenants;

public interface ITenantGrain : IGrainWithStringKey
{
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("profile")] Task<TenantProfile?> GetProfile();

    /// <summary>Replaces the tenant's profile; the next message uses it.</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("set-profile")] Task SetProfile(TenantProfile profile);

    /// <summary>Stores a seed profile only when the tenant has none: a restart never undoes an admin's edit.</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("seed")] Task<bool> Seed(TenantProfile profile);

    /// <summary>
    /// Validates a new guardrail policy and, if it is valid, stores it as the next version; the next
    /// message is judged by it. An invalid policy changes nothing and comes back with field errors.
    /// </summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("update-policy")] Task<PolicyUpdate> UpdatePolicy(Guardrails.GuardrailPolicy policy, string changedBy);
}

[GenerateSerializer, Immutable]
public sealed record PolicyUpdate(
    [property: Id(0)] bool Accepted,
    [property: Id(1)] int Version,
    [property: Id(2)] IReadOnlyList<Guardrails.PolicyFieldError> Errors);

/// <summary>Owns a tenant's subscription tier, policy and catalog. Keyed by tenant id.</summary>
public sealed class TenantGrain(
    [PersistentState("tenant", GrainStores.Tenants)] IPersistentState<TenantState> state,
    Guardrails.Topics.TopicIndexCache topicIndexes,
    DemoTenantSeeding seeding,
    ILogger<TenantGrain> logger) : Grain, ITenantGrain
{
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // With memory storage a demo tenant whose silo died comes back from its seed instead of
        // leaving its customers' turns to be dead-lettered as "unknown tenant".
        if (state.State.Profile is null && seeding.Enabled && DemoTenants.Find(this.GetPrimaryKeyString()) is { } seed)
        {
            logger.LogWarning("Tenant {Tenant} had no stored profile; restored from its demo seed", seed.TenantId);
            await Seed(seed);
        }
    }

    public Task<TenantProfile?> GetProfile() => Task.FromResult(state.State.Profile);

    public async Task<bool> Seed(TenantProfile profile)
    {
        if (state.State.Profile is not null) return false;
        await SetProfile(profile);
        return true;
    }

    public async Task SetProfile(TenantProfile profile)
    {
        if (profile.TenantId != this.GetPrimaryKeyString())
            throw new ArgumentException($"Profile of '{profile.TenantId}' cannot be stored under tenant '{this.GetPrimaryKeyString()}'.", nameof(profile));
        state.State.Profile = profile;
        await state.WriteOrDropAsync(this);
        await IndexTopicsAsync(profile);
    }

    public async Task<PolicyUpdate> UpdatePolicy(Guardrails.GuardrailPolicy policy, string changedBy)
    {
        var profile = state.State.Profile ?? throw new InvalidOperationException($"Tenant '{this.GetPrimaryKeyString()}' has no profile yet.");
        var errors = Guardrails.GuardrailPolicyValidation.ValidateForTier(policy, profile.Tier);
        if (errors.Count > 0) return new PolicyUpdate(false, profile.Policy.Version, errors);
        var version = profile.Policy.Version + 1;
        state.State.Profile = profile with { Policy = policy with { Version = version } };
        state.State.PolicyHistory.Add(new PolicyChange(version, changedBy, DateTimeOffset.UtcNow));
        await state.WriteOrDropAsync(this);
        await IndexTopicsAsync(state.State.Profile);
        return new PolicyUpdate(true, version, []);
    }

    /// <summary>
    /// Embeds and indexes the tenant's examples now, so the first message under a new profile or
    /// policy doesn't pay for it. Saved either way: if the embedding model is unreachable, messages
    /// fail closed until it is back, and the next message builds the index.
    /// </summary>
    private async Task IndexTopicsAsync(TenantProfile profile)
    {
        try
        {
            await topicIndexes.GetAsync(profile);
        }
        catch (Guardrails.Embeddings.EmbeddingUnavailableException ex)
        {
            Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(logger, "Tenant {Tenant}'s policy v{Version} is saved but not indexed: {Reason}", profile.TenantId, profile.Policy.Version, ex.Message);
        }
    }
}

[GenerateSerializer]
public sealed class TenantState
{
    [Id(0)] public TenantProfile? Profile { get; set; }

    /// <summary>Who changed the policy to which version, and when: the audit trail of policy edits.</summary>
    [Id(1)] public List<PolicyChange> PolicyHistory { get; set; } = [];
}

[GenerateSerializer, Immutable]
public sealed record PolicyChange([property: Id(0)] int Version, [property: Id(1)] string ChangedBy, [property: Id(2)] DateTimeOffset At);

/// <summary>Directory of tenants the portal can list (a single grain: read rarely, written when tenants are added).</summary>
public interface ITenantDirectoryGrain : IGrainWithIntegerKey
{
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("list")] Task<IReadOnlyList<TenantProfile>> List();
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("register")] Task Register(TenantProfile profile);

    /// <summary>Lists the tenant and stores its profile only if it has none (demo tenants at start-up).</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("seed")] Task Seed(TenantProfile profile);
}

public sealed class TenantDirectoryGrain(
    [PersistentState("directory", GrainStores.Tenants)] IPersistentState<TenantDirectoryState> state,
    DemoTenantSeeding seeding) : Grain, ITenantDirectoryGrain
{
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A directory that lost its memory storage with a silo still lists the demo tenants.
        if (seeding.Enabled && DemoTenants.All.Any(t => !state.State.TenantIds.Contains(t.TenantId)))
        {
            state.State.TenantIds.AddRange(DemoTenants.All.Select(t => t.TenantId).Where(id => !state.State.TenantIds.Contains(id)));
            await state.WriteStateAsync(cancellationToken);
        }
    }

    public async Task Seed(TenantProfile profile)
    {
        await GrainFactory.GetGrain<ITenantGrain>(profile.TenantId).Seed(profile);
        await ListAsync(profile.TenantId);
    }

    public async Task<IReadOnlyList<TenantProfile>> List()
    {
        var profiles = await Task.WhenAll(state.State.TenantIds.Select(id => GrainFactory.GetGrain<ITenantGrain>(id).GetProfile()));
        return profiles.OfType<TenantProfile>().OrderByDescending(p => p.Tier).ToList();
    }

    public async Task Register(TenantProfile profile)
    {
        await GrainFactory.GetGrain<ITenantGrain>(profile.TenantId).SetProfile(profile);
        await ListAsync(profile.TenantId);
    }

    private async Task ListAsync(string tenantId)
    {
        if (state.State.TenantIds.Contains(tenantId)) return;
        state.State.TenantIds.Add(tenantId);
        await state.WriteOrDropAsync(this);
    }
}

[GenerateSerializer]
public sealed class TenantDirectoryState
{
    [Id(0)] public List<string> TenantIds { get; set; } = [];
}
