using Grains.Triggers;

namespace Portal.Services;

/// <summary>A trigger as the page and the API show it: its definition, what it did (summed over silos) and its lag in Kafka.</summary>
public sealed record TriggerView(
    string Id, string Name, IReadOnlyList<string> Topics, TriggerFilterSpec Filter, TriggerDestination Destination, TriggerStart Start,
    bool Paused, string CreatedBy, DateTimeOffset CreatedAt, string? ChangedBy, DateTimeOffset? ChangedAt, string Group,
    TriggerStats Stats, long? Lag, string? LagError);

/// <summary>Reads the registry, the figures and each trigger's lag for the page and the API.</summary>
public sealed class TriggerViews(IGrainFactory grains, TriggerOffsets kafka)
{
    public ITriggerRegistryGrain Registry => grains.GetGrain<ITriggerRegistryGrain>(0);

    public async Task<IReadOnlyList<TriggerView>> ListAsync(CancellationToken ct = default)
    {
        var set = await Registry.GetSet();
        var stats = await Registry.GetStats();
        var views = new List<TriggerView>();
        foreach (var t in set.Triggers.OrderBy(t => t.CreatedAt)) views.Add(await ViewAsync(t, stats, ct));
        return views;
    }

    public async Task<TriggerView?> GetAsync(string id, CancellationToken ct = default) =>
        (await Registry.GetSet()).Triggers.FirstOrDefault(t => t.Id == id) is { } t ? await ViewAsync(t, await Registry.GetStats(), ct) : null;

    public async Task<TriggerView> ViewAsync(TriggerDefinition t, IReadOnlyDictionary<string, TriggerStats> stats, CancellationToken ct = default)
    {
        long? lag = null;
        string? lagError = null;
        try { lag = (await kafka.LagAsync(t, ct)).Total; }
        catch (Exception ex) when (ex is not OperationCanceledException) { lagError = ex.Message; }
        return new TriggerView(t.Id, t.Spec.Name, t.Spec.Topics, t.Spec.Filter, t.Spec.Destination, t.Spec.Start, t.Paused, t.CreatedBy, t.CreatedAt,
            t.ChangedBy, t.ChangedAt, kafka.GroupOf(t), stats.GetValueOrDefault(t.Id) ?? TriggerStats.None, lag, lagError);
    }
}
