using Grains.Hosting;

namespace Grains.Audit;

public sealed class AuditTraceGrain([PersistentState("trace", GrainStores.Audit)] IPersistentState<AuditTraceState> state) : Grain, IAuditTraceGrain
{
    public async Task Add(string sessionId)
    {
        if (!state.State.Sessions.Add(sessionId)) return;
        await state.WriteOrDropAsync(this);
    }

    public Task<IReadOnlyList<string>> Sessions() => Task.FromResult<IReadOnlyList<string>>(state.State.Sessions.Order(StringComparer.Ordinal).ToList());
}

[GenerateSerializer]
public sealed class AuditTraceState
{
    [Id(0)] public HashSet<string> Sessions { get; set; } = [];
}
