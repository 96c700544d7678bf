using System.Diagnostics;
using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;
using Orleans.Runtime;
using Orleans.Streams;
using Streaming.Kafka.Events;

namespace Streaming.Kafka.Providers;

/// <summary>
/// Produces stream events to Kafka (namespace = topic, stream key = message key, partition by
/// murmur2 of the key) and creates one receiver per (topic, partition) queue.
/// </summary>
internal sealed class KafkaAdapter(
    string name,
    KafkaStreamOptions options,
    KafkaClientPool pool,
    KafkaQueueMapper mapper,
    Func<QueueId, IQueueAdapterReceiver> receiverFactory) : IQueueAdapter
{
    public string Name => name;

    /// <summary>Orleans' rewind only reaches its cache; replay from the log is an operator command instead.</summary>
    public bool IsRewindable => false;

    public StreamProviderDirection Direction => StreamProviderDirection.ReadWrite;

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId) => receiverFactory(queueId);

    public async Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext)
    {
        if (token is not null)
            throw new ArgumentException("Kafka assigns offsets itself: a stream token cannot be given when producing.", nameof(token));
        var topic = options.TopicForNamespace(streamId.GetNamespace());
        if (!KafkaStreamOptionsValidator.IsValidTopicName(topic))
            throw new ArgumentException($"Stream namespace '{streamId.GetNamespace()}' does not make a valid Kafka topic name ('{topic}').", nameof(streamId));
        var key = streamId.Key.ToArray();
        if (key.Length == 0)
            throw new ArgumentException("A Kafka stream needs a key: it becomes the message key that orders the conversation.", nameof(streamId));

        // Serialise now, on the caller's thread, before any await: the caller may reuse its objects.
        var traceParent = requestContext?.GetValueOrDefault("traceparent") as string;
        var spans = new List<Activity>();
        var messages = events.Select(e => ToMessage(streamId.GetNamespace()!, topic, e, key, traceParent, spans)).ToList();

        var partitions = await pool.PartitionCountAsync(options, topic).ConfigureAwait(false);
        var target = new TopicPartition(topic, KafkaPartitioner.PartitionFor(key, partitions));
        var producer = pool.Producer(options);
        try
        {
            // The idempotent producer keeps these in order within the partition.
            await Task.WhenAll(messages.Select(m => producer.ProduceAsync(target, m))).ConfigureAwait(false);
        }
        catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code is ErrorCode.MsgSizeTooLarge)
        {
            foreach (var span in spans) span.SetStatus(ActivityStatusCode.Error, ex.Error.Reason);
            throw new ArgumentException($"An event for {topic} is larger than the cluster accepts ({ex.DeliveryResult.Message.Value?.Length ?? 0} bytes): shorten it or raise message.max.bytes.", nameof(events), ex);
        }
        catch (Exception ex)
        {
            foreach (var span in spans) span.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }
        finally
        {
            // A publish span lasts until the brokers acknowledged (acks=all) or refused the message.
            foreach (var span in spans) span.Dispose();
        }
    }

    private static Message<byte[], byte[]> ToMessage<T>(string streamNamespace, string topic, T item, byte[] key, string? traceParent, List<Activity> spans)
    {
        var created = item as CloudEvent ?? CloudEvent.Create(typeof(T).FullName ?? typeof(T).Name, "/orleans", item);
        var (cloudEvent, span) = KafkaTracing.StartPublish(streamNamespace, topic, created, traceParent);
        if (span is not null) spans.Add(span);
        return new Message<byte[], byte[]>
        {
            Key = key,
            Value = CloudEventKafkaMapping.ToValue(cloudEvent),
            Headers = CloudEventKafkaMapping.ToHeaders(cloudEvent),
        };
    }

    public KafkaQueueMapper Mapper => mapper;
}
