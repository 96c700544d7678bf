using Orleans.Concurrency;
using Grains.Pipeline;
using HdrHistogram;

namespace Grains.Tiers;

public enum TurnOutcome { Answered, Replaced, Rejected, Failed }

[GenerateSerializer, Immutable]
public sealed record TierStats(
    [property: Id(0)] Tier Tier,
    [property: Id(1)] IReadOnlyDictionary<TurnOutcome, long> Outcomes,
    [property: Id(2)] long Turns,
    [property: Id(3)] double P50Ms,
    [property: Id(4)] double P95Ms,
    [property: Id(5)] double P99Ms,
    [property: Id(6)] double MaxMs,
    [property: Id(7)] IReadOnlyList<LatencyBucket> Histogram,
    [property: Id(8)] double PipelineP50Ms,
    [property: Id(9)] double PipelineP99Ms);

[GenerateSerializer, Immutable]
public sealed record LatencyBucket([property: Id(0)] double UpToMs, [property: Id(1)] long Count);

public interface ITierGrain : IGrainWithStringKey
{
    /// <summary>One-way: recording a figure never slows the conversation that reports it.</summary>
    [OneWay, Alias("record")] Task Record(TurnOutcome outcome, double endToEndMs, double modelMs);

    [Alias("stats")] Task<TierStats> GetStats();

    /// <summary>Starts a new measuring period (figures since then only).</summary>
    [Alias("reset")] Task Reset();
}

/// <summary>Live per-tier figures: outcome counts and the end-to-end latency histogram. Keyed by tier name.</summary>
public sealed class TierGrain : Grain, ITierGrain
{
    private static readonly double[] Bounds = [50, 100, 250, 500, 1000, 2500, 5000, 10000];
    private readonly LongHistogram _latencyMicros = new(600_000_000L, 3);
    // End to end minus the model's own time: what the platform adds (queues, guardrails, hops).
    private readonly LongHistogram _pipelineMicros = new(600_000_000L, 3);
    private readonly Dictionary<TurnOutcome, long> _outcomes = [];

    private Tier Tier => Enum.Parse<Tier>(this.GetPrimaryKeyString(), ignoreCase: true);

    public Task Record(TurnOutcome outcome, double endToEndMs, double modelMs)
    {
        _outcomes[outcome] = _outcomes.GetValueOrDefault(outcome) + 1;
        _latencyMicros.RecordValue(Math.Clamp((long)(endToEndMs * 1000), 1, _latencyMicros.HighestTrackableValue));
        _pipelineMicros.RecordValue(Math.Clamp((long)((endToEndMs - modelMs) * 1000), 1, _pipelineMicros.HighestTrackableValue));
        return Task.CompletedTask;
    }

    public Task Reset()
    {
        _outcomes.Clear();
        _latencyMicros.Reset();
        _pipelineMicros.Reset();
        return Task.CompletedTask;
    }

    public Task<TierStats> GetStats()
    {
        var h = _latencyMicros;
        double Ms(double percentile) => h.TotalCount == 0 ? 0 : h.GetValueAtPercentile(percentile) / 1000.0;
        double PipelineMs(double percentile) => _pipelineMicros.TotalCount == 0 ? 0 : _pipelineMicros.GetValueAtPercentile(percentile) / 1000.0;
        var buckets = new List<LatencyBucket>();
        long previous = 0;
        foreach (var bound in Bounds)
        {
            var below = h.TotalCount == 0 ? 0 : CountBelow(h, (long)(bound * 1000));
            buckets.Add(new LatencyBucket(bound, below - previous));
            previous = below;
        }
        buckets.Add(new LatencyBucket(double.PositiveInfinity, h.TotalCount - previous));
        return Task.FromResult(new TierStats(Tier, new Dictionary<TurnOutcome, long>(_outcomes), h.TotalCount,
            Ms(50), Ms(95), Ms(99), h.TotalCount == 0 ? 0 : h.GetMaxValue() / 1000.0, buckets,
            PipelineMs(50), PipelineMs(99)));
    }

    private static long CountBelow(HistogramBase h, long value) =>
        h.RecordedValues().Where(v => v.ValueIteratedTo <= value).Sum(v => v.CountAddedInThisIterationStep);
}
