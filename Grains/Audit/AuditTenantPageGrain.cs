using Grains.Hosting;

namespace Grains.Audit;

/// <summary>One page of a tenant's audit outcomes (key <c>TENANT/NUMBER</c>), written by <see cref="AuditTenantGrain"/> only.</summary>
public interface IAuditTenantPageGrain : IGrainWithStringKey
{
    /// <summary>Adds outcomes not on the page yet (by event id: a redelivered group appends once) and stores the page.</summary>
    [ResponseTimeout(CallTimeouts.Call)] [Alias("append")] Task Append(IReadOnlyList<AuditTurn> turns);

    [ResponseTimeout(CallTimeouts.Call)] [Alias("turns")] Task<IReadOnlyList<AuditTurn>> Turns();

    [ResponseTimeout(CallTimeouts.Call)] [Alias("clear")] Task Clear();
}

/// <summary>
/// Up to <see cref="AuditTenantGrain.PageSize"/> outcomes, stored on their own so that a tenant's write costs a page,
/// not everything the tenant keeps.
/// </summary>
public sealed class AuditTenantPageGrain([PersistentState("audit-tenant-page", GrainStores.Audit)] IPersistentState<AuditTenantPage> state)
    : Grain, IAuditTenantPageGrain
{
    private HashSet<(string SessionId, string EventId)>? _known;

    public async Task Append(IReadOnlyList<AuditTurn> turns)
    {
        _known ??= state.State.Turns.Select(t => (t.SessionId, t.EventId)).ToHashSet();
        var added = turns.Where(t => _known.Add((t.SessionId, t.EventId))).ToList();
        if (added.Count == 0) return;
        state.State.Turns.AddRange(added);
        await state.WriteOrDropAsync(this); // on failure the activation goes, and with it this set
    }

    public Task<IReadOnlyList<AuditTurn>> Turns() => Task.FromResult<IReadOnlyList<AuditTurn>>([.. state.State.Turns]);

    public async Task Clear()
    {
        await state.ClearStateAsync();
        DeactivateOnIdle();
    }
}

[GenerateSerializer]
public sealed class AuditTenantPage
{
    [Id(0)] public List<AuditTurn> Turns { get; set; } = [];
}
