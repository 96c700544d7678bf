namespace Streaming.Kafka.Providers;

/// <summary>
/// Java-compatible murmur2 partitioner (Kafka's <c>DefaultPartitioner</c> for keyed messages,
/// librdkafka's <c>murmur2_random</c>). We choose partitions ourselves so that the queue mapper
/// knows where a stream lands, and so that Java and .NET producers agree.
/// </summary>
public static class KafkaPartitioner
{
    public static int PartitionFor(ReadOnlySpan<byte> key, int partitionCount) =>
        (int)((uint)(Murmur2(key) & 0x7fffffff) % (uint)partitionCount);

    public static int Murmur2(ReadOnlySpan<byte> data)
    {
        const uint m = 0x5bd1e995;
        const int r = 24;
        var length = data.Length;
        var h = 0x9747b28cu ^ (uint)length;
        var i = 0;
        for (; i + 4 <= length; i += 4)
        {
            var k = (uint)(data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24);
            k *= m;
            k ^= k >> r;
            k *= m;
            h *= m;
            h ^= k;
        }
        switch (length - i)
        {
            case 3: h ^= (uint)data[i + 2] << 16; goto case 2;
            case 2: h ^= (uint)data[i + 1] << 8; goto case 1;
            case 1: h ^= data[i]; h *= m; break;
        }
        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return (int)h;
    }
}
