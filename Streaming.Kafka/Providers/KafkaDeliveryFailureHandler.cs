using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace Streaming.Kafka.Providers;

/// <summary>
/// When Orleans gives up delivering an event to a subscriber, record it on the dead-letter topic
/// (with its original position) and release its offset so the partition's commits move on.
/// </summary>
internal sealed class KafkaDeliveryFailureHandler(
    QueueId queue,
    KafkaTopicPartition partition,
    Func<QueueId, KafkaQueueAdapterReceiver?> currentReceiver,
    DeadLetterWriter deadLetters,
    ILogger logger) : IStreamFailureHandler
{
    public bool ShouldFaultSubsriptionOnError => false;

    public async Task OnDeliveryFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken)
    {
        logger.LogError("Delivery of {Stream} at {Token} on {Partition} failed after retries; recorded on the dead-letter topic",
            streamIdentity, sequenceToken, partition);
        await deadLetters.SendDeliveryFailureAsync(partition.Topic, partition.Partition, sequenceToken?.SequenceNumber ?? -1,
            streamIdentity.Key.ToArray(), $"delivery to subscription {subscriptionId} failed after retries").ConfigureAwait(false);
        if (sequenceToken is not null) currentReceiver(queue)?.Abandon(sequenceToken.SequenceNumber);
    }

    public Task OnSubscriptionFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken)
    {
        logger.LogError("Subscription {Subscription} to {Stream} failed at {Token}", subscriptionId, streamIdentity, sequenceToken);
        return Task.CompletedTask;
    }
}
