using Orleans.Concurrency;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace Grains.Scheduling;

/// <summary>A backend as the cluster sees it: its limit, what runs and waits, and each silo's part.</summary>
[GenerateSerializer, Immutable]
public sealed record BackendCapacityView(
    [property: Id(0)] string Backend,
    [property: Id(1)] int Limit,
    [property: Id(2)] int InFlight,
    [property: Id(3)] int Queued,
    [property: Id(4)] IReadOnlyDictionary<string, int> Parts);

/// <summary>
/// Holds each model backend's <c>MaxConcurrency</c> and tokens per minute for the whole cluster: every silo's
/// scheduler reports what it uses and wants a few times a second and is told its part (<see cref="CapacityAllocation"/>).
/// One activation for all backends; its state is soft (rebuilt from the reports), so it is not stored.
/// </summary>
public interface IModelCapacityGrain : IGrainWithIntegerKey
{
    [ResponseTimeout(Hosting.CallTimeouts.Report)] [Alias("report")] Task<IReadOnlyList<BackendGrant>> Report(string silo, IReadOnlyList<BackendDemand> backends);

    [ResponseTimeout(Hosting.CallTimeouts.Report)] [Alias("view"), ReadOnly] Task<IReadOnlyList<BackendCapacityView>> View();
}

public sealed class ModelCapacityGrain(
    [FromKeyedServices(PlatformClock.Key)] TimeProvider time, IClusterMembershipService membership) : Grain, IModelCapacityGrain
{
    /// <summary>A silo the membership table does not know (never saw, or long removed), unheard of for this long, is gone.</summary>
    public static readonly TimeSpan UnknownSiloExpiry = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, Dictionary<string, (SiloCapacity Silo, DateTimeOffset At)>> _backends = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _limits = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private bool _learned;

    public Task<IReadOnlyList<BackendGrant>> Report(string silo, IReadOnlyList<BackendDemand> backends)
    {
        var now = time.GetUtcNow();
        // A new activation (first start, or its silo died) does not know what the others use yet: until every active
        // silo has reported once, nobody's part grows.
        _reported.Add(silo);
        _learned = _learned || membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active).All(m => _reported.Contains(m.SiloAddress.ToParsableString()));
        var growing = _learned;
        var grants = new List<BackendGrant>(backends.Count);
        foreach (var demand in backends)
        {
            if (!_backends.TryGetValue(demand.Backend, out var silos)) _backends[demand.Backend] = silos = new(StringComparer.Ordinal);
            foreach (var gone in silos.Where(s => Gone(s.Key, s.Value.At, now)).Select(s => s.Key).ToList()) silos.Remove(gone);
            var granted = silos.TryGetValue(silo, out var known) ? known.Silo.Granted : 0;
            silos[silo] = (new SiloCapacity(silo, demand.Enforced, granted, demand.InFlight, demand.Queued), now);
            var part = CapacityAllocation.GrantFor(silo, demand.Limit, silos.Values.Select(s => s.Silo).ToList(), growing);
            silos[silo] = (silos[silo].Silo with { Granted = part }, now);
            grants.Add(new BackendGrant(demand.Backend, part, CapacityAllocation.TokensFor(demand.TokensPerMinute, part, demand.Limit)));
            _limits[demand.Backend] = demand.Limit;
        }
        return Task.FromResult<IReadOnlyList<BackendGrant>>(grants);
    }

    public Task<IReadOnlyList<BackendCapacityView>> View()
    {
        var now = time.GetUtcNow();
        return Task.FromResult<IReadOnlyList<BackendCapacityView>>(_backends.Select(b =>
        {
            var live = b.Value.Where(s => !Gone(s.Key, s.Value.At, now)).Select(s => s.Value.Silo).ToList();
            return new BackendCapacityView(b.Key, _limits.GetValueOrDefault(b.Key), live.Sum(s => s.InFlight), live.Sum(s => s.Queued),
                live.ToDictionary(s => s.Silo, s => s.Granted));
        }).OrderBy(v => v.Backend, StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// A silo's part returns to the others only once the cluster has declared the silo dead (its calls died with its
    /// process). A silo that is only slow to report (a long pause, a loaded machine) keeps its part however long:
    /// it may be running calls with it, and handing it out again would let the backend see more than its limit.
    /// </summary>
    private bool Gone(string silo, DateTimeOffset lastHeard, DateTimeOffset now) =>
        IsGone(membership.CurrentSnapshot.GetSiloStatus(SiloAddress.FromParsableString(silo)), now - lastHeard);

    /// <summary>The rule, apart from membership: dead, or unknown to the membership table and long silent.</summary>
    public static bool IsGone(SiloStatus status, TimeSpan silentFor) =>
        status == SiloStatus.Dead || (status == SiloStatus.None && silentFor > UnknownSiloExpiry);
}
