using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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
public static partial class DeadLetters
{
    public static Task SendAsync(IServiceProvider services, string stage, StreamId from, CloudEvent e, StreamSequenceToken? token, string reason)
    {
        // Logged as well: a refusal is rare and means a misbehaving producer (or a platform bug) someone should see.
        Refused(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DeadLetters).FullName!), e.Type, e.Id, from.GetNamespace(), from.GetKeyAsString(), reason);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered {Type} {Id} from {Topic} (key {Key}): {Reason}")]
    private static partial void Refused(ILogger logger, string type, string id, string? topic, string key, string reason);

    private static string Dlq(string name) => CloudEventKafkaMapping.DeadLetterPrefix + name;
}

/// <summary>Thrown while handling an event that can never be handled (an unknown tenant): dead-lettered, not retried.</summary>
public sealed class UnusableEventException(string reason) : Exception(reason);
