using Orleans.Streams;

namespace Streaming.Kafka.Providers;

/// <summary>
/// Position of an event in its partition: the Kafka offset. Stable across redeliveries, so a
/// consumer may also de-duplicate by token within one stream (one stream lives in one partition).
/// </summary>
[GenerateSerializer, Immutable, Alias("kafka-token")]
public sealed class KafkaSequenceToken : StreamSequenceToken
{
    public KafkaSequenceToken(long offset, int eventIndex = 0)
    {
        SequenceNumber = offset;
        EventIndex = eventIndex;
    }

    [Id(0)] public override long SequenceNumber { get; protected set; }

    [Id(1)] public override int EventIndex { get; protected set; }

    public long Offset => SequenceNumber;

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
