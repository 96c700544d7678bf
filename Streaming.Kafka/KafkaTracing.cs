using System.Diagnostics;
using Orleans.Runtime;
using Orleans.Streams;
using Streaming.Kafka.Events;
using Streaming.Kafka.Providers;

namespace Streaming.Kafka;

/// <summary>
/// Spans of the Kafka hops (OpenTelemetry messaging conventions): a <c>publish TOPIC</c> producer span per message
/// (named by the stream namespace, i.e. the topic before the deployment's prefix; the tag has the whole name),
/// whose id becomes the event's <c>traceparent</c>, and a <c>receive TOPIC</c> consumer span per delivered event,
/// continued from that header. With the stages' own spans in between, one turn is one tree across every topic.
/// Without a listener (no tracer provider) nothing is created and the headers carry the caller's context as before.
/// </summary>
public static class KafkaTracing
{
    public const string SourceName = "Streaming.Kafka";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// Starts the producer span of one event and returns the event with the span as its <c>traceparent</c>. The parent
    /// is the caller's current span when it belongs to the event's trace (a stage handling that turn), else the
    /// event's own trace context, else the one the request context carried.
    /// </summary>
    internal static (CloudEvent Event, Activity? Span) StartPublish(string streamNamespace, string topic, CloudEvent e, string? requestTraceParent)
    {
        var current = Activity.Current;
        var eventContext = Parse(e.TraceParent);
        ActivityContext parent =
            current is not null && (eventContext is not { } ec || ec.TraceId == current.TraceId) ? current.Context
            : eventContext ?? Parse(requestTraceParent) ?? current?.Context ?? default;
        var span = Source.StartActivity("publish " + streamNamespace, ActivityKind.Producer, parent);
        Activity.Current = current; // the span ends when Kafka acknowledges; it is nobody's parent meanwhile
        if (span is null) return (e.TraceParent is null ? e with { TraceParent = requestTraceParent ?? current?.Id } : e, null);
        span.SetTag("messaging.system", "kafka");
        span.SetTag("messaging.operation.type", "send");
        span.SetTag("messaging.destination.name", topic);
        span.SetTag("messaging.message.id", e.Id);
        span.SetTag("cloudevents.event_type", e.Type);
        return (e with { TraceParent = span.Id }, span);
    }

    /// <summary>
    /// Starts the consumer span of one delivered event, child of the producer span named by its <c>traceparent</c>.
    /// The caller disposes it when done; spans it starts meanwhile are its children.
    /// </summary>
    public static Activity? StartReceive(string consumerGroup, string topicPrefix, StreamId stream, CloudEvent e, StreamSequenceToken? token)
    {
        if (!Source.HasListeners()) return null;
        var streamNamespace = stream.GetNamespace() ?? "";
        var span = Source.StartActivity("receive " + streamNamespace, ActivityKind.Consumer, Parse(e.TraceParent) ?? default);
        if (span is null) return null;
        span.SetTag("messaging.system", "kafka");
        span.SetTag("messaging.operation.type", "receive");
        span.SetTag("messaging.destination.name", topicPrefix + streamNamespace);
        span.SetTag("messaging.consumer.group.name", consumerGroup);
        span.SetTag("messaging.message.id", e.Id);
        span.SetTag("cloudevents.event_type", e.Type);
        if (token is KafkaSequenceToken { Partition: >= 0 } at)
        {
            span.SetTag("messaging.destination.partition.id", at.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture));
            span.SetTag("messaging.kafka.offset", at.Offset);
        }
        return span;
    }

    private static ActivityContext? Parse(string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, null, out var context) ? context : null;
}
