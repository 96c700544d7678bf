namespace Grains.Scheduling;

/// <summary>What one silo's scheduler says about one backend: what it may use now, uses, and wants.</summary>
[GenerateSerializer, Immutable]
public sealed record BackendDemand(
    [property: Id(0)] string Backend,
    [property: Id(1)] int Limit,
    [property: Id(2)] int TokensPerMinute,
    [property: Id(3)] int Enforced,
    [property: Id(4)] int InFlight,
    [property: Id(5)] int Queued);

/// <summary>One silo's part of one backend: concurrent calls and tokens per minute.</summary>
[GenerateSerializer, Immutable]
public sealed record BackendGrant(
    [property: Id(0)] string Backend,
    [property: Id(1)] int Concurrency,
    [property: Id(2)] int TokensPerMinute);

/// <summary>A silo as the allocation sees it for one backend.</summary>
public sealed record SiloCapacity(string Silo, int Enforced, int Granted, int InFlight, int Queued)
{
    /// <summary>
    /// What this silo may be using: the most of what it last said it enforces and what was last granted (a lowered
    /// grant counts only once the silo has confirmed it; a raised one at once). Only the rest may be given away.
    /// </summary>
    public int Committed => Math.Max(Math.Max(Enforced, Granted), InFlight);

    public int Demand => InFlight + Queued;
}

/// <summary>
/// Splits a backend's cluster-wide limit between silos by demand (max-min fair), then spreads what no one wants
/// evenly, as headroom for the next burst. Grants come only out of capacity no other silo may be using, so the
/// silos' parts never add up to more than the limit, even while shares move between them.
/// </summary>
public static class CapacityAllocation
{
    /// <summary>The part for <paramref name="silo"/>; <paramref name="growing"/> false holds every silo at what it has (a fresh allocator, still learning who uses what).</summary>
    public static int GrantFor(string silo, int limit, IReadOnlyList<SiloCapacity> silos, bool growing = true)
    {
        var me = silos.Single(s => s.Silo == silo);
        var target = Targets(limit, silos)[silo];
        var othersCommitted = silos.Where(s => s.Silo != silo).Sum(s => s.Committed);
        var available = Math.Max(0, limit - othersCommitted);
        var grant = Math.Min(target, available);
        return growing ? grant : Math.Min(grant, me.Enforced);
    }

    /// <summary>Max-min fair by demand; unwanted capacity spread evenly (by silo order, so the parts add up to the limit).</summary>
    public static Dictionary<string, int> Targets(int limit, IReadOnlyList<SiloCapacity> silos)
    {
        var ordered = silos.OrderBy(s => s.Silo, StringComparer.Ordinal).ToList();
        var target = ordered.ToDictionary(s => s.Silo, _ => 0);
        var left = limit;
        // Water-filling: one slot at a time to the silo whose unmet demand is largest relative to what it has.
        while (left > 0)
        {
            var next = ordered.Where(s => target[s.Silo] < s.Demand).OrderBy(s => target[s.Silo]).ThenByDescending(s => s.Demand).FirstOrDefault();
            if (next is null) break;
            target[next.Silo]++;
            left--;
        }
        for (var i = 0; left > 0 && ordered.Count > 0; i = (i + 1) % ordered.Count, left--) target[ordered[i].Silo]++;
        return target;
    }

    /// <summary>
    /// Tokens per minute in proportion to the concurrency granted. Zero (no concurrency, or no token limit) leaves the
    /// silo's bucket as it is: a silo that may start no call cannot spend tokens, and emptying its bucket would only
    /// delay it once it gets a part again.
    /// </summary>
    public static int TokensFor(int tokensPerMinute, int granted, int limit) =>
        tokensPerMinute <= 0 || granted <= 0 || limit <= 0 ? 0 : Math.Max(1, (int)((long)tokensPerMinute * granted / limit));
}
