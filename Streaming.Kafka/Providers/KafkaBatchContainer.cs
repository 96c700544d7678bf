using Orleans.Runtime;
using Orleans.Streams;
using Streaming.Kafka.Events;

namespace Streaming.Kafka.Providers;

/// <summary>One Kafka message = one batch container holding one <see cref="CloudEvent"/>.</summary>
[GenerateSerializer, Immutable, Alias("kafka-batch")]
public sealed class KafkaBatchContainer(StreamId streamId, CloudEvent cloudEvent, KafkaSequenceToken token, int partition)
    : IBatchContainer
{
    [Id(0)] public StreamId StreamId { get; } = streamId;

    [Id(1)] public CloudEvent Event { get; } = cloudEvent;

    [Id(2)] public KafkaSequenceToken Token { get; } = token;

    [Id(3)] public int Partition { get; } = partition;

    public StreamSequenceToken SequenceToken => Token;

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>() =>
        Event is T typed ? [Tuple.Create(typed, (StreamSequenceToken)Token)] : [];

    /// <summary>Carries the W3C trace context into the consumer's request context.</summary>
    public bool ImportRequestContext()
    {
        if (Event.TraceParent is null) return false;
        RequestContext.Set("traceparent", Event.TraceParent);
        return true;
    }

    public override string ToString() => $"[Kafka {StreamId} p{Partition} {Token} {Event.Type}]";
}
