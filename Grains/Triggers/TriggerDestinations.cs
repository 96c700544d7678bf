using System.Globalization;
using System.Net;
using System.Text;
using Confluent.Kafka;
using Streaming.Kafka.Events;

namespace Grains.Triggers;

/// <summary>Where a trigger sends an event; throws <see cref="TriggerDeliveryException"/> (or a transport error) when it was not accepted.</summary>
public interface ITriggerDestination
{
    Task SendAsync(CloudEvent e, byte[]? key, CancellationToken ct);
}

/// <summary>The destination refused the event; <see cref="Retryable"/> says whether another attempt may succeed.</summary>
public sealed class TriggerDeliveryException(string message, bool retryable) : Exception(message)
{
    public bool Retryable { get; } = retryable;
}

/// <summary>
/// CloudEvents HTTP protocol binding, binary content mode: a POST whose body is the event's data
/// (<c>Content-Type: application/json</c>) and whose attributes and extensions are <c>ce-</c> headers
/// (<c>ce-specversion</c>, <c>ce-id</c>, <c>ce-type</c>, <c>ce-source</c>, <c>ce-time</c>, <c>ce-subject</c>,
/// <c>ce-tenantid</c>, …; values percent-encoded where the binding requires it), plus the W3C <c>traceparent</c>.
/// Any 2xx accepts; 408, 429 and 5xx (and transport errors) are retried; another 4xx is final at once.
/// </summary>
public sealed class HttpTriggerDestination(HttpClient http, Uri url) : ITriggerDestination
{
    public async Task SendAsync(CloudEvent e, byte[]? key, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        void Header(string name, string? value)
        {
            if (value is not null) request.Headers.TryAddWithoutValidation(name, Encode(value));
        }
        Header("ce-specversion", "1.0");
        Header("ce-id", e.Id);
        Header("ce-type", e.Type);
        Header("ce-source", e.Source);
        Header("ce-time", e.Time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
        Header("ce-subject", e.Subject);
        if (e.TraceParent is not null)
        {
            Header("ce-traceparent", e.TraceParent);
            Header("traceparent", e.TraceParent);
        }
        foreach (var (name, value) in e.Extensions) Header("ce-" + name, value);
        request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(e.Data));
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(CloudEventKafkaMapping.ContentType);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode) return;
        var code = (int)response.StatusCode;
        throw new TriggerDeliveryException($"{url.GetLeftPart(UriPartial.Path)} answered {code} {response.ReasonPhrase}",
            retryable: code >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests);
    }

    /// <summary>The HTTP binding's header encoding: printable ASCII except space, '"' and '%' as is, the rest as UTF-8 %XX.</summary>
    public static string Encode(string value)
    {
        if (value.All(c => c > ' ' && c < 127 && c is not '"' and not '%')) return value;
        var b = new StringBuilder();
        foreach (var by in Encoding.UTF8.GetBytes(value))
            if (by > ' ' && by < 127 && by is not (byte)'"' and not (byte)'%') b.Append((char)by);
            else b.Append('%').Append(by.ToString("X2", CultureInfo.InvariantCulture));
        return b.ToString();
    }
}

/// <summary>
/// Another topic (the deployment's prefix before its name), through the platform's idempotent producer, with the
/// platform's CloudEvents Kafka binding (<see cref="CloudEventKafkaMapping"/>: <c>ce_</c> headers, JSON value) and the
/// original key, so order per key holds there too.
/// </summary>
public sealed class TopicTriggerDestination(IProducer<byte[], byte[]> producer, string topic) : ITriggerDestination
{
    public async Task SendAsync(CloudEvent e, byte[]? key, CancellationToken ct) =>
        await producer.ProduceAsync(topic, new Message<byte[], byte[]>
        {
            Key = key!, Value = CloudEventKafkaMapping.ToValue(e), Headers = CloudEventKafkaMapping.ToHeaders(e),
        }, ct).ConfigureAwait(false);
}
