using System.Globalization;
using System.Text;
using Confluent.Kafka;

namespace Streaming.Kafka.Providers;

/// <summary>
/// Sends what cannot be delivered to the dead-letter topic: the original key, value and headers
/// plus <c>dlq_*</c> headers saying why and where from, so nothing is lost and a person can fix and replay it.
/// </summary>
internal sealed class DeadLetterWriter(string providerName, KafkaStreamOptions options, KafkaClientPool pool)
{
    public async Task SendAsync(ConsumeResult<byte[], byte[]> original, string reason)
    {
        var headers = new Headers();
        foreach (var h in original.Message.Headers ?? []) headers.Add(h.Key, h.GetValueBytes());
        AddContext(headers, reason, original.Topic, original.Partition.Value, original.Offset.Value);
        await Produce(new Message<byte[], byte[]> { Key = original.Message.Key, Value = original.Message.Value, Headers = headers }).ConfigureAwait(false);
    }

    /// <summary>Records an event Orleans could not deliver to a subscriber; the original stays at its offset.</summary>
    public async Task SendDeliveryFailureAsync(string topic, int partition, long offset, byte[] key, string reason)
    {
        var headers = new Headers();
        AddContext(headers, reason, topic, partition, offset);
        await Produce(new Message<byte[], byte[]> { Key = key, Value = [], Headers = headers }).ConfigureAwait(false);
    }

    private void AddContext(Headers headers, string reason, string topic, int partition, long offset)
    {
        headers.Add("dlq_reason", Encoding.UTF8.GetBytes(reason));
        headers.Add("dlq_provider", Encoding.UTF8.GetBytes(providerName));
        headers.Add("dlq_topic", Encoding.UTF8.GetBytes(topic));
        headers.Add("dlq_partition", Encoding.UTF8.GetBytes(partition.ToString(CultureInfo.InvariantCulture)));
        headers.Add("dlq_offset", Encoding.UTF8.GetBytes(offset.ToString(CultureInfo.InvariantCulture)));
        headers.Add("dlq_time", Encoding.UTF8.GetBytes(DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)));
    }

    private Task Produce(Message<byte[], byte[]> message) =>
        pool.Producer(options).ProduceAsync(options.DeadLetterTopic, message);
}
