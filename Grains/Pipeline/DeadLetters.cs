using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Streams;
using Streaming.Kafka;
using Streaming.Kafka.Events;

namespace Grains.Pipeline;

/// <summary>
/// The one way a grain refuses an event it was handed: the original event, unchanged (id, type, headers, data), on
/// <c>streams.deadletter</c> under the original key, with the <c>dlq_reason</c>, <c>dlq_stage</c>, <c>dlq_topic</c>,
/// <c>dlq_offset</c> and <c>dlq_time</c> headers the receivers' own dead letters carry. Nothing is retried: a refused
/// event is wrong, not unlucky, and its partition moves on at once.
/// </summary>
public static class DeadLetters
{
    public static Task SendAsync(IServiceProvider services, string stage, StreamId from, CloudEvent e, StreamSequenceToken? token, string reason)
    {
        var prefix = services.GetRequiredService<IOptionsMonitor<KafkaStreamOptions>>().Get(stage).TopicPrefix;
        var letter = e
            .WithExtension(Dlq("reason"), reason)
            .WithExtension(Dlq("stage"), stage)
            .WithExtension(Dlq("topic"), prefix + from.GetNamespace())
            .WithExtension(Dlq("offset"), token?.SequenceNumber.ToString(CultureInfo.InvariantCulture))
            .WithExtension(Dlq("time"), DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        return services.GetRequiredKeyedService<IStreamProvider>(stage)
            .GetStream<CloudEvent>(StreamId.Create(Topics.DeadLetter, from.GetKeyAsString()))
            .OnNextAsync(letter);
    }

    private static string Dlq(string name) => CloudEventKafkaMapping.DeadLetterPrefix + name;
}

/// <summary>Thrown while handling an event that can never be handled (an unknown tenant): dead-lettered, not retried.</summary>
public sealed class UnusableEventException(string reason) : Exception(reason);
