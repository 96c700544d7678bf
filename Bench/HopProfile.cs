using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Grains.Hosting;

namespace Bench;

/// <summary>
/// Where a turn's wall time goes, hop by hop, from the platform's own spans (<see cref="PlatformTracing"/>): for each
/// topic, the time from the producer's publish span starting to the consumer's receive span starting (Kafka produce
/// with acks=all, fetch, Orleans' pulling agent, cache and delivery to the grain), and for each stage how long its
/// handling took. Listening makes every span exist, which costs a little: the figures of a run with it are not the
/// ones to quote for overhead.
/// </summary>
internal sealed class HopProfile : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentDictionary<ActivitySpanId, (string Name, DateTime Start)> _publishes = new();
    private readonly ConcurrentDictionary<string, ConcurrentBag<double>> _figures = new();
    private volatile bool _recording;

    public HopProfile()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => PlatformTracing.Sources.Contains(source.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = Started,
            ActivityStopped = Stopped,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Starts counting (spans before this, e.g. of a warm-up, are not counted).</summary>
    public void Record()
    {
        _figures.Clear();
        _publishes.Clear();
        _recording = true;
    }

    /// <summary>A publish is noted when it starts: its consumer may receive the event before the producer's ack ends the span.</summary>
    private void Started(Activity span)
    {
        if (_recording && span.DisplayName.StartsWith("publish ", StringComparison.Ordinal))
            _publishes[span.SpanId] = (span.DisplayName["publish ".Length..], span.StartTimeUtc);
    }

    private void Stopped(Activity span)
    {
        if (!_recording) return;
        var name = span.DisplayName;
        if (name.StartsWith("publish ", StringComparison.Ordinal))
        {
            Add("produce " + name["publish ".Length..] + " (until acked)", span.Duration.TotalMilliseconds);
        }
        else if (name.StartsWith("receive ", StringComparison.Ordinal))
        {
            if (_publishes.TryRemove(span.ParentSpanId, out var published))
                Add("hop " + published.Name + " (publish → receive)", (span.StartTimeUtc - published.Start).TotalMilliseconds);
        }
        else
        {
            Add("span " + name, span.Duration.TotalMilliseconds); // a stage's handling, the turn's root
        }
    }

    private void Add(string what, double ms) => _figures.GetOrAdd(what, _ => []).Add(ms);

    public void Print()
    {
        Console.WriteLine("Where a turn's time goes (platform spans; p50 / p99 ms, count):");
        foreach (var (what, values) in _figures.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var sorted = values.Order().ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {what,-62} {LatencyBench.Percentile(sorted, 0.5),8:0.00} {LatencyBench.Percentile(sorted, 0.99),8:0.00} {sorted.Count,7}"));
        }
    }

    public void Dispose() => _listener.Dispose();
}
