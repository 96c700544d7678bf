namespace Grains.Tenants;

public interface ITenantGrain : IGrainWithStringKey
{
    [Alias("profile")] Task<TenantProfile?> GetProfile();

    /// <summary>Replaces the tenant's profile; the next message uses it.</summary>
    [Alias("set-profile")] Task SetProfile(TenantProfile profile);
}

/// <summary>Owns a tenant's subscription tier, policy and catalog. Keyed by tenant id.</summary>
public sealed class TenantGrain([PersistentState("tenant", "tenants")] IPersistentState<TenantState> state) : Grain, ITenantGrain
{
    public Task<TenantProfile?> GetProfile() => Task.FromResult(state.State.Profile);

    public async Task SetProfile(TenantProfile profile)
    {
        if (profile.TenantId != this.GetPrimaryKeyString())
            throw new ArgumentException($"Profile of '{profile.TenantId}' cannot be stored under tenant '{this.GetPrimaryKeyString()}'.", nameof(profile));
        state.State.Profile = profile;
        await state.WriteStateAsync();
    }
}

[GenerateSerializer]
public sealed class TenantState
{
    [Id(0)] public TenantProfile? Profile { get; set; }
}

/// <summary>Directory of tenants the portal can list (a single grain: read rarely, written when tenants are added).</summary>
public interface ITenantDirectoryGrain : IGrainWithIntegerKey
{
    [Alias("list")] Task<IReadOnlyList<TenantProfile>> List();
    [Alias("register")] Task Register(TenantProfile profile);
}

public sealed class TenantDirectoryGrain([PersistentState("directory", "tenants")] IPersistentState<TenantDirectoryState> state) : Grain, ITenantDirectoryGrain
{
    public async Task<IReadOnlyList<TenantProfile>> List()
    {
        var profiles = await Task.WhenAll(state.State.TenantIds.Select(id => GrainFactory.GetGrain<ITenantGrain>(id).GetProfile()));
        return profiles.OfType<TenantProfile>().OrderByDescending(p => p.Tier).ToList();
    }

    public async Task Register(TenantProfile profile)
    {
        await GrainFactory.GetGrain<ITenantGrain>(profile.TenantId).SetProfile(profile);
        if (!state.State.TenantIds.Contains(profile.TenantId))
        {
            state.State.TenantIds.Add(profile.TenantId);
            await state.WriteStateAsync();
        }
    }
}

[GenerateSerializer]
public sealed class TenantDirectoryState
{
    [Id(0)] public List<string> TenantIds { get; set; } = [];
}
