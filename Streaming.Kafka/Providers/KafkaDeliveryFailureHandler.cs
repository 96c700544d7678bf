using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace Streaming.Kafka.Providers;

/// <summary>
/// When Orleans gives up delivering an event to a subscriber, record it on the dead-letter topic
/// (with its original position) and release its offset so the partition's commits move on — unless
/// this host is stopping: then the delivery failed because the local silo is going away ("the local
/// Orleans host is shutting down"), not because of the event, so it stays uncommitted and the
/// partition's next owner delivers it again. (Releasing it lost queued turns in a crash test.)
/// </summary>
internal sealed class KafkaDeliveryFailureHandler(
    QueueId queue,
    KafkaTopicPartition partition,
    Func<QueueId, KafkaQueueAdapterReceiver?> currentReceiver,
    DeadLetterWriter deadLetters,
    ILogger logger,
    CancellationToken hostStopping) : IStreamFailureHandler
{
    public bool ShouldFaultSubsriptionOnError => false;

    public async Task OnDeliveryFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken)
    {
        if (hostStopping.IsCancellationRequested)
        {
            logger.LogWarning("Delivery of {Stream} at {Token} on {Partition} failed while this silo stops; left uncommitted for the partition's next owner",
                streamIdentity, sequenceToken, partition);
            return;
        }
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
