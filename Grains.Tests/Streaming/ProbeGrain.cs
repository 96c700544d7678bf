using System.Collections.Concurrent;
using Orleans.Runtime;
using Orleans.Streams;
using Streaming.Kafka.Events;

namespace Grains.Tests.Streaming;

public static class ProbeStreams
{
    public const string Provider = "probe";
    public const string In = "probe.in";
    public const string Out = "probe.out";
}

/// <summary>What probe grains received, seen from outside the cluster (silos run in this process).</summary>
public static class ProbeLog
{
    public sealed record Received(string EventId, string Type, long Offset, string Data, string? TraceParent, string? TenantId, Guid Activation = default);

    private static readonly ConcurrentDictionary<string, bool> Failed = new();

    public static bool FirstFailure(string eventId) => Failed.TryAdd(eventId, true);

    private static readonly ConcurrentDictionary<string, ConcurrentQueue<Received>> ByKey = new();
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Gates = new();
    private static readonly ConcurrentDictionary<string, bool> GatesEntered = new();

    public static void Record(string key, Received r) => ByKey.GetOrAdd(key, _ => new()).Enqueue(r);

    public static IReadOnlyList<Received> For(string key) => ByKey.TryGetValue(key, out var q) ? q.ToArray() : [];

    public static int CountFor(IEnumerable<string> keys) => keys.Sum(k => For(k).Count);

    public static Task Gate(string eventId)
    {
        GatesEntered[eventId] = true;
        return Gates.GetOrAdd(eventId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
    }

    public static bool Entered(string eventId) => GatesEntered.ContainsKey(eventId);

    public static void Open(string eventId) => Gates.GetOrAdd(eventId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}

public interface IProbeGrain : IGrainWithStringKey
{
    Task<int> ReceivedCount();
}

/// <summary>
/// A consumer for provider tests: records each event; "probe.gate" events wait for the test to open
/// them; "probe.echo" events are answered on the probe.out stream with the same key.
/// </summary>
[ImplicitStreamSubscription(ProbeStreams.In)]
public sealed class ProbeGrain : Grain, IProbeGrain
{
    private int _received;
    private readonly Guid _activation = Guid.NewGuid();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var stream = this.GetStreamProvider(ProbeStreams.Provider)
            .GetStream<CloudEvent>(StreamId.Create(ProbeStreams.In, this.GetPrimaryKeyString()));
        await stream.SubscribeAsync(OnNextAsync);
    }

    private async Task OnNextAsync(CloudEvent e, StreamSequenceToken? token)
    {
        _received++;
        RequestContext.Get("traceparent");
        ProbeLog.Record(this.GetPrimaryKeyString(), new(e.Id, e.Type, token?.SequenceNumber ?? -1, e.Data, e.TraceParent, e.Extension("tenantid"), _activation));
        switch (e.Type)
        {
            case "probe.gate":
                await ProbeLog.Gate(e.Id);
                break;
            case "probe.fail-once":
                // A transient consumer error: the first delivery throws, the redelivery succeeds.
                if (ProbeLog.FirstFailure(e.Id)) throw new InvalidOperationException("transient failure of " + e.Id);
                break;
            case "probe.deactivate":
                DeactivateOnIdle();
                break;
            case "probe.echo":
                var reply = CloudEvent.Create("probe.echoed", "/tests/probe", new { reply = e.Id }, id: e.Id + ":echo")
                    .WithExtension("tenantid", e.Extension("tenantid"));
                await this.GetStreamProvider(ProbeStreams.Provider)
                    .GetStream<CloudEvent>(StreamId.Create(ProbeStreams.Out, this.GetPrimaryKeyString()))
                    .OnNextAsync(reply);
                break;
        }
    }

    public Task<int> ReceivedCount() => Task.FromResult(_received);
}
