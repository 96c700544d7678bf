using Orleans.Streams;

namespace Streaming.Kafka.Providers;

/// <summary>
/// Position of an event in its partition: the Kafka offset (and the partition, so that an index can read the event
/// back by assign and seek). Stable across redeliveries, so a consumer may also de-duplicate by token within one
/// stream (one stream lives in one partition; equality is by offset).
/// </summary>
[GenerateSerializer, Immutable, Alias("kafka-token")]
public sealed class KafkaSequenceToken : StreamSequenceToken
{
    public KafkaSequenceToken(long offset, int eventIndex = 0, int partition = -1)
    {
        SequenceNumber = offset;
        EventIndex = eventIndex;
        Partition = partition;
    }

    [Id(0)] public override long SequenceNumber { get; protected set; }

    [Id(1)] public override int EventIndex { get; protected set; }

    public long Offset => SequenceNumber;

    /// <summary>The Kafka partition, or -1 where it is not known (tokens made by hand).</summary>
    [Id(2)] public int Partition { get; private set; }

    public override bool Equals(StreamSequenceToken? other) =>
        other is not null && other.SequenceNumber == SequenceNumber && other.EventIndex == EventIndex;

    public override int CompareTo(StreamSequenceToken? other)
    {
        if (other is null) return 1;
        var c = SequenceNumber.CompareTo(other.SequenceNumber);
        return c != 0 ? c : EventIndex.CompareTo(other.EventIndex);
    }

    public override bool Equals(object? obj) => obj is StreamSequenceToken t && Equals(t);

    public override int GetHashCode() => HashCode.Combine(SequenceNumber, EventIndex);

    public override string ToString() => $"offset {SequenceNumber}" + (EventIndex == 0 ? "" : $"#{EventIndex}");
}
