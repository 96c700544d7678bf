using Orleans.Concurrency;
using Grains.Pipeline;
using Grains.Scheduling;
using HdrHistogram;
using HdrHistogram.Utilities;
using Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Grains.Tiers;

public enum TurnOutcome { Answered, Replaced, Rejected, Failed, Throttled, Shed }

/// <summary>Which delivered event type ends a turn with which outcome: for the conversation and for rebuilding figures from the log.</summary>
public static class TurnOutcomes
{
    public static TurnOutcome? Of(string eventType) => eventType switch
    {
        ChatEventTypes.ResponseFinal or ChatEventTypes.ResponseApproved => TurnOutcome.Answered,
        ChatEventTypes.ResponseFlagged or ChatEventTypes.ResponseRejected => TurnOutcome.Replaced,
        ChatEventTypes.MessageRejected => TurnOutcome.Rejected,
        ChatEventTypes.ResponseFailed => TurnOutcome.Failed,
        ChatEventTypes.ResponseThrottled => TurnOutcome.Throttled,
        ChatEventTypes.ResponseShed => TurnOutcome.Shed,
        _ => null,
    };
}

/// <summary>How one turn went, reported by the conversation when its outcome is applied.</summary>
[GenerateSerializer, Immutable]
public sealed record TurnFigures(
    [property: Id(0)] TurnOutcome Outcome,
    [property: Id(1)] string TenantId,
    [property: Id(2)] double EndToEndMs,
    [property: Id(3)] double ModelMs,
    [property: Id(4)] double QueueMs,
    [property: Id(5)] bool Degraded,
    [property: Id(6)] bool BusyNotified,
    [property: Id(7)] DateTimeOffset? At = null);

/// <summary>A silo's scheduler queue for the tier, reported every second.</summary>
[GenerateSerializer, Immutable]
public sealed record TierLoad([property: Id(0)] int Queued, [property: Id(1)] int InFlight, [property: Id(2)] double OldestWaitMs);

[GenerateSerializer, Immutable]
public sealed record SlaTargets([property: Id(0)] double EndToEndMs, [property: Id(1)] double QueueWaitMs, [property: Id(2)] double SloTarget);

/// <summary>Ten seconds of the tier: how many turns and how fast.</summary>
[GenerateSerializer, Immutable]
public sealed record TierSample(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] int Turns,
    [property: Id(2)] double P50Ms,
    [property: Id(3)] double P95Ms,
    [property: Id(4)] double P99Ms,
    [property: Id(5)] double WithinSla);

[GenerateSerializer, Immutable]
public sealed record TenantTierFigures(
    [property: Id(0)] string TenantId,
    [property: Id(1)] long Turns,
    [property: Id(2)] long Answered,
    [property: Id(3)] long Throttled,
    [property: Id(4)] long Shed,
    [property: Id(5)] double P95Ms,
    [property: Id(6)] double WithinSla);

[GenerateSerializer, Immutable]
public sealed record LatencyBucket([property: Id(0)] double UpToMs, [property: Id(1)] long Count);

[GenerateSerializer, Immutable]
public sealed record TierStats
{
    [Id(0)] public required Tier Tier { get; init; }
    [Id(1)] public required IReadOnlyDictionary<TurnOutcome, long> Outcomes { get; init; }
    [Id(2)] public long Turns { get; init; }
    [Id(3)] public double P50Ms { get; init; }
    [Id(4)] public double P95Ms { get; init; }
    [Id(5)] public double P99Ms { get; init; }
    [Id(6)] public double MaxMs { get; init; }
    [Id(7)] public IReadOnlyList<LatencyBucket> Histogram { get; init; } = [];
    [Id(8)] public double PipelineP50Ms { get; init; }
    [Id(9)] public double PipelineP99Ms { get; init; }
    [Id(10)] public double QueueP50Ms { get; init; }
    [Id(11)] public double QueueP95Ms { get; init; }
    [Id(12)] public double QueueP99Ms { get; init; }
    /// <summary>Waiting for a model slot and running on one now, summed over silos.</summary>
    [Id(13)] public int Queued { get; init; }
    [Id(14)] public int InFlight { get; init; }
    [Id(15)] public long Throttled { get; init; }
    [Id(16)] public long Shed { get; init; }
    [Id(17)] public long Fallback { get; init; }
    [Id(18)] public long Busy { get; init; }
    [Id(19)] public required SlaTargets Targets { get; init; }
    /// <summary>Share of turns (not counting ones refused by a tenant's own quota) answered within the end-to-end target.</summary>
    [Id(20)] public double WithinSla { get; init; }
    /// <summary>How fast the error budget (1 − SLO) is being spent: 1 = exactly on budget, above 1 = burning.</summary>
    [Id(21)] public double ErrorBudgetBurn { get; init; }
    [Id(22)] public IReadOnlyList<TierSample> Timeline { get; init; } = [];
    [Id(23)] public IReadOnlyList<TenantTierFigures> Tenants { get; init; } = [];
    [Id(24)] public double TurnsLastMinute { get; init; }
}

public interface ITierGrain : IGrainWithStringKey
{
    /// <summary>One-way: recording a figure never slows the conversation that reports it.</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [OneWay, Alias("record")] Task Record(TurnFigures figures);

    /// <summary>A silo's scheduler load for this tier (one-way, every second).</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [OneWay, Alias("load")] Task ReportLoad(string silo, TierLoad load);

    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("stats"), ReadOnly] Task<TierStats> GetStats();

    /// <summary>Starts a new measuring period (figures since then only).</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("reset")] Task Reset();

    /// <summary>Replaces the figures with what the log says (<see cref="Analytics.FiguresRebuild"/>): the first batch resets, each batch is stored.</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("rebuild")] Task Rebuild(IReadOnlyList<TurnFigures> batch, bool first);
}

/// <summary>
/// A tier's live SLA state, keyed by tier name: targets, end-to-end / queue-wait / pipeline-only
/// latency histograms, queue depth and in-flight (reported by each silo's scheduler), throttled,
/// shed, fallback and busy counts, share within target and error-budget burn, a ten-minute
/// timeline in ten-second samples, and per-tenant figures for drill-down.
/// Stored in the <c>figures</c> storage every 10 s when it changed (a write per turn would cost more than the
/// turn): a crash loses at most those seconds, and <see cref="Analytics.FiguresRebuild"/> recomputes everything
/// from the topics. Bounded: histograms of fixed size, 60 samples, at most <see cref="MaxTenants"/> tenants.
/// </summary>
public sealed class TierGrain(
    [PersistentState("tier", GrainStores.Figures)] IPersistentState<TierFiguresState> state,
    IOptions<SchedulerOptions> scheduling,
    [FromKeyedServices(PlatformClock.Key)] TimeProvider clock) : Grain, ITierGrain
{
    public const int MaxTenants = 2_000;
    private static readonly double[] Bounds = [50, 100, 250, 500, 1000, 2500, 5000, 10000];
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WriteEvery = TimeSpan.FromSeconds(10);
    private const int Samples = 60;
    private const long HighestMicros = 600_000_000;

    private HistogramBase _latencyMicros = NewHistogram();
    // End to end minus the model's own time: what the platform adds (queues, guardrails, hops).
    private HistogramBase _pipelineMicros = NewHistogram();
    private HistogramBase _queueMicros = NewHistogram();
    private readonly Dictionary<TurnOutcome, long> _outcomes = [];
    private readonly Dictionary<string, (TierLoad Load, DateTimeOffset At)> _load = [];
    private readonly LinkedList<Sample> _timeline = new();
    private readonly Dictionary<string, TenantFigures> _tenants = [];
    private long _fallback, _busy, _slaCounted, _withinSla;
    private bool _dirty;

    private Tier Tier => Enum.Parse<Tier>(this.GetPrimaryKeyString(), ignoreCase: true);

    private ClassOptions Class => scheduling.Value.For(SchedulerOptions.ClassOf(Tier));

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Restore(state.State);
        this.RegisterGrainTimer(WriteIfChangedAsync, new GrainTimerCreationOptions(WriteEvery, WriteEvery));
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => WriteIfChangedAsync(cancellationToken);

    public Task Record(TurnFigures f)
    {
        Count(f);
        _dirty = true;
        return Task.CompletedTask;
    }

    private void Count(TurnFigures f)
    {
        _outcomes[f.Outcome] = _outcomes.GetValueOrDefault(f.Outcome) + 1;
        if (f.Degraded) _fallback++;
        if (f.BusyNotified) _busy++;
        var tenant = Tenant(f.TenantId);
        tenant.Count(f.Outcome);
        if (f.Outcome is TurnOutcome.Throttled) return; // the tenant's own limit, not our latency

        _latencyMicros.RecordValue(Micros(f.EndToEndMs));
        _pipelineMicros.RecordValue(Micros(f.EndToEndMs - f.ModelMs));
        _queueMicros.RecordValue(Micros(f.QueueMs));
        var within = f.Outcome != TurnOutcome.Shed && f.EndToEndMs <= Class.EndToEndTarget.TotalMilliseconds;
        _slaCounted++;
        if (within) _withinSla++;
        tenant.Latency(f.EndToEndMs, within);
        SampleAt(f.At ?? clock.GetUtcNow())?.Add(f.EndToEndMs, within);
    }

    private TenantFigures Tenant(string tenantId)
    {
        if (_tenants.TryGetValue(tenantId, out var tenant)) return tenant;
        if (_tenants.Count >= MaxTenants) _tenants.Remove(_tenants.MinBy(t => t.Value.Turns).Key); // the quietest makes room
        return _tenants[tenantId] = new TenantFigures();
    }

    public Task ReportLoad(string silo, TierLoad load)
    {
        _load[silo] = (load, clock.GetUtcNow());
        return Task.CompletedTask;
    }

    public async Task Reset()
    {
        Clear();
        _dirty = true;
        await WriteIfChangedAsync(CancellationToken.None);
    }

    public async Task Rebuild(IReadOnlyList<TurnFigures> batch, bool first)
    {
        if (first) Clear();
        foreach (var f in batch) Count(f);
        _dirty = true;
        await WriteIfChangedAsync(CancellationToken.None);
    }

    private void Clear()
    {
        _outcomes.Clear();
        _latencyMicros.Reset();
        _pipelineMicros.Reset();
        _queueMicros.Reset();
        _timeline.Clear();
        _tenants.Clear();
        _fallback = _busy = _slaCounted = _withinSla = 0;
    }

    private async Task WriteIfChangedAsync(CancellationToken cancellationToken)
    {
        if (!_dirty) return;
        _dirty = false;
        state.State = Snapshot();
        await state.WriteStateAsync(cancellationToken);
    }

    private TierFiguresState Snapshot() => new()
    {
        Latency = HistogramBytes.Encode(_latencyMicros),
        Pipeline = HistogramBytes.Encode(_pipelineMicros),
        Queue = HistogramBytes.Encode(_queueMicros),
        Outcomes = new Dictionary<TurnOutcome, long>(_outcomes),
        Fallback = _fallback, Busy = _busy, SlaCounted = _slaCounted, WithinSla = _withinSla,
        Timeline = _timeline.Select(s => s.ToSample()).ToList(),
        Tenants = _tenants.ToDictionary(t => t.Key, t => t.Value.ToState()),
    };

    private void Restore(TierFiguresState stored)
    {
        _latencyMicros = HistogramBytes.Decode(stored.Latency, HighestMicros) ?? NewHistogram();
        _pipelineMicros = HistogramBytes.Decode(stored.Pipeline, HighestMicros) ?? NewHistogram();
        _queueMicros = HistogramBytes.Decode(stored.Queue, HighestMicros) ?? NewHistogram();
        foreach (var (outcome, count) in stored.Outcomes) _outcomes[outcome] = count;
        (_fallback, _busy, _slaCounted, _withinSla) = (stored.Fallback, stored.Busy, stored.SlaCounted, stored.WithinSla);
        foreach (var sample in stored.Timeline.TakeLast(Samples)) _timeline.AddLast(new Sample(sample));
        foreach (var (tenantId, tenant) in stored.Tenants) _tenants[tenantId] = TenantFigures.From(tenant, HighestMicros);
    }

    public Task<TierStats> GetStats()
    {
        var now = clock.GetUtcNow();
        var fresh = _load.Values.Where(l => now - l.At < TimeSpan.FromSeconds(5)).Select(l => l.Load).ToList();
        var within = _slaCounted == 0 ? 1 : (double)_withinSla / _slaCounted;
        var slo = scheduling.Value.SloTarget;
        var lastMinute = _timeline.Where(s => now - s.Start < TimeSpan.FromMinutes(1)).Sum(s => s.Count);
        return Task.FromResult(new TierStats
        {
            Tier = Tier,
            Outcomes = new Dictionary<TurnOutcome, long>(_outcomes),
            Turns = _outcomes.Values.Sum(),
            P50Ms = Ms(_latencyMicros, 50), P95Ms = Ms(_latencyMicros, 95), P99Ms = Ms(_latencyMicros, 99),
            MaxMs = _latencyMicros.TotalCount == 0 ? 0 : _latencyMicros.GetMaxValue() / 1000.0,
            Histogram = Buckets(),
            PipelineP50Ms = Ms(_pipelineMicros, 50), PipelineP99Ms = Ms(_pipelineMicros, 99),
            QueueP50Ms = Ms(_queueMicros, 50), QueueP95Ms = Ms(_queueMicros, 95), QueueP99Ms = Ms(_queueMicros, 99),
            Queued = fresh.Sum(l => l.Queued),
            InFlight = fresh.Sum(l => l.InFlight),
            Throttled = _outcomes.GetValueOrDefault(TurnOutcome.Throttled),
            Shed = _outcomes.GetValueOrDefault(TurnOutcome.Shed),
            Fallback = _fallback,
            Busy = _busy,
            Targets = new SlaTargets(Class.EndToEndTarget.TotalMilliseconds, Class.MaxQueueWait.TotalMilliseconds, slo),
            WithinSla = within,
            ErrorBudgetBurn = slo >= 1 ? 0 : (1 - within) / (1 - slo),
            Timeline = _timeline.Select(s => s.ToSample()).ToList(),
            Tenants = _tenants.Select(kv => kv.Value.ToFigures(kv.Key)).OrderByDescending(t => t.Turns).ToList(),
            TurnsLastMinute = lastMinute,
        });
    }

    /// <summary>The ten-second sample <paramref name="at"/> falls in; null for a time before the newest sample (a rebuild's old events).</summary>
    private Sample? SampleAt(DateTimeOffset at)
    {
        var start = new DateTimeOffset(at.UtcTicks - at.UtcTicks % SampleEvery.Ticks, TimeSpan.Zero);
        if (_timeline.Last is { } last && last.Value.Start >= start) return last.Value.Start == start && !last.Value.Frozen ? last.Value : null;
        _timeline.AddLast(new Sample(start));
        while (_timeline.Count > Samples) _timeline.RemoveFirst();
        return _timeline.Last!.Value;
    }

    private static HistogramBase NewHistogram(int digits = 3) => new LongHistogram(HighestMicros, digits);

    private static long Micros(double ms) => (long)Math.Clamp(ms * 1000, 1, HighestMicros);

    private static double Ms(HistogramBase h, double percentile) => h.TotalCount == 0 ? 0 : h.GetValueAtPercentile(percentile) / 1000.0;

    private List<LatencyBucket> Buckets()
    {
        var h = _latencyMicros;
        var buckets = new List<LatencyBucket>();
        long previous = 0;
        foreach (var bound in Bounds)
        {
            var below = h.TotalCount == 0 ? 0 : h.RecordedValues().Where(v => v.ValueIteratedTo <= (long)(bound * 1000)).Sum(v => v.CountAddedInThisIterationStep);
            buckets.Add(new LatencyBucket(bound, below - previous));
            previous = below;
        }
        buckets.Add(new LatencyBucket(double.PositiveInfinity, h.TotalCount - previous));
        return buckets;
    }

    private static double Percentile(List<double> values, double p) => NearestRank.Of(values.Order().ToArray(), p);

    /// <summary>Ten seconds of turns; a stored one comes back as its figures only (frozen).</summary>
    private sealed class Sample
    {
        private readonly List<double> _ms = [];
        private readonly TierSample? _stored;
        private int _within;

        public Sample(DateTimeOffset start) => Start = start;

        public Sample(TierSample stored)
        {
            Start = stored.At;
            _stored = stored;
        }

        public DateTimeOffset Start { get; }
        public bool Frozen => _stored is not null;
        public int Count => _stored?.Turns ?? _ms.Count;

        public void Add(double ms, bool within)
        {
            if (_ms.Count < 10_000) _ms.Add(ms);
            if (within) _within++;
        }

        public TierSample ToSample() => _stored ?? new(Start, _ms.Count, Percentile(_ms, 0.50), Percentile(_ms, 0.95), Percentile(_ms, 0.99),
            _ms.Count == 0 ? 1 : (double)_within / _ms.Count);
    }

    private sealed class TenantFigures
    {
        private HistogramBase _latency = NewHistogram(digits: 2);
        private long _turns, _answered, _throttled, _shed, _counted, _within;

        public long Turns => _turns;

        public void Count(TurnOutcome outcome)
        {
            _turns++;
            if (outcome == TurnOutcome.Answered) _answered++;
            if (outcome == TurnOutcome.Throttled) _throttled++;
            if (outcome == TurnOutcome.Shed) _shed++;
        }

        public void Latency(double ms, bool within)
        {
            _latency.RecordValue(Micros(ms));
            _counted++;
            if (within) _within++;
        }

        public TenantTierFigures ToFigures(string tenantId) =>
            new(tenantId, _turns, _answered, _throttled, _shed, Ms(_latency, 95), _counted == 0 ? 1 : (double)_within / _counted);

        public TenantFiguresState ToState() => new()
        {
            Turns = _turns, Answered = _answered, Throttled = _throttled, Shed = _shed, Counted = _counted, Within = _within,
            Latency = HistogramBytes.Encode(_latency),
        };

        public static TenantFigures From(TenantFiguresState s, long highest) => new()
        {
            _turns = s.Turns, _answered = s.Answered, _throttled = s.Throttled, _shed = s.Shed, _counted = s.Counted, _within = s.Within,
            _latency = HistogramBytes.Decode(s.Latency, highest) ?? NewHistogram(digits: 2),
        };
    }
}

/// <summary>A tier's figures as stored (histograms in HdrHistogram's compressed encoding).</summary>
[GenerateSerializer]
public sealed class TierFiguresState
{
    [Id(0)] public byte[]? Latency { get; set; }
    [Id(1)] public byte[]? Pipeline { get; set; }
    [Id(2)] public byte[]? Queue { get; set; }
    [Id(3)] public Dictionary<TurnOutcome, long> Outcomes { get; set; } = [];
    [Id(4)] public long Fallback { get; set; }
    [Id(5)] public long Busy { get; set; }
    [Id(6)] public long SlaCounted { get; set; }
    [Id(7)] public long WithinSla { get; set; }
    [Id(8)] public List<TierSample> Timeline { get; set; } = [];
    [Id(9)] public Dictionary<string, TenantFiguresState> Tenants { get; set; } = [];
}

[GenerateSerializer]
public sealed class TenantFiguresState
{
    [Id(0)] public long Turns { get; set; }
    [Id(1)] public long Answered { get; set; }
    [Id(2)] public long Throttled { get; set; }
    [Id(3)] public long Shed { get; set; }
    [Id(4)] public long Counted { get; set; }
    [Id(5)] public long Within { get; set; }
    [Id(6)] public byte[]? Latency { get; set; }
}

/// <summary>HdrHistogram's compressed encoding, for storing a histogram in grain state.</summary>
internal static class HistogramBytes
{
    public static byte[] Encode(HistogramBase histogram)
    {
        var buffer = ByteBuffer.Allocate(histogram.GetNeededByteBufferCapacity());
        var length = histogram.EncodeIntoCompressedByteBuffer(buffer);
        buffer.Position = 0; // ByteBuffer does not expose its array: read the encoding back out
        var bytes = new byte[length];
        for (var i = 0; i < length; i++) bytes[i] = buffer.Get();
        return bytes;
    }

    public static HistogramBase? Decode(byte[]? bytes, long highest) =>
        bytes is null ? null : HistogramEncoding.DecodeFromCompressedByteBuffer(ByteBuffer.Allocate(bytes), highest);
}
