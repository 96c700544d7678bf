using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;

namespace Streaming.Kafka.Events;

/// <summary>
/// CloudEvents Kafka protocol binding, binary content mode: every attribute, extensions included (<c>tenantid</c>,
/// <c>sessionid</c>, <c>tier</c>, <c>traceparent</c>), is a <c>ce_</c>-prefixed header, <c>content-type</c> is
/// <c>application/json</c>, the value is the data; any CloudEvents SDK reads our events. The W3C
/// <c>traceparent</c> is also written un-prefixed, the header OpenTelemetry's Kafka propagation reads. Producers
/// that still send <c>tenantid</c>, <c>sessionid</c> or <c>tier</c> un-prefixed are read as before.
/// Extensions named <c>dlq…</c> (a dead letter's reason and origin) are the <c>dlq_…</c> headers the dead-letter
/// topic carries however the letter was written (by a receiver that could not parse a message, or by a stage that
/// refused an event), so tools read one set of headers.
/// </summary>
public static class CloudEventKafkaMapping
{
    public const string ContentType = "application/json";

    /// <summary>Extensions also read from un-prefixed headers, as the first versions wrote them.</summary>
    public static readonly ImmutableHashSet<string> PlainHeaderExtensions =
        ImmutableHashSet.Create(StringComparer.Ordinal, "tenantid", "sessionid", "tier", "tracestate");

    public static Headers ToHeaders(CloudEvent e)
    {
        var headers = new Headers
        {
            { "ce_specversion", "1.0"u8.ToArray() },
            { "ce_id", Utf8(e.Id) },
            { "ce_type", Utf8(e.Type) },
            { "ce_source", Utf8(e.Source) },
            { "ce_time", Utf8(e.Time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)) },
            { "content-type", Utf8(ContentType) },
        };
        if (e.Subject is not null) headers.Add("ce_subject", Utf8(e.Subject));
        if (e.TraceParent is not null)
        {
            headers.Add("ce_traceparent", Utf8(e.TraceParent));
            headers.Add("traceparent", Utf8(e.TraceParent));
        }
        foreach (var (name, value) in e.Extensions)
            headers.Add(HeaderOf(name), Utf8(value));
        return headers;
    }

    public const string DeadLetterPrefix = "dlq";

    private static string HeaderOf(string extension) =>
        extension.StartsWith(DeadLetterPrefix, StringComparison.Ordinal) && extension.Length > DeadLetterPrefix.Length ? "dlq_" + extension[DeadLetterPrefix.Length..]
        : "ce_" + extension;

    public static byte[] ToValue(CloudEvent e) => Encoding.UTF8.GetBytes(e.Data);

    /// <summary>
    /// Reads an event from a Kafka message, or says in words why it is not one. The caller sends
    /// the message to the dead-letter topic with that reason; it never stops the queue.
    /// </summary>
    public static bool TryParse(Headers? headers, byte[]? value, out CloudEvent? cloudEvent, out string? error) =>
        TryParse(headers, value, null, out cloudEvent, out error);

    /// <summary>
    /// As above; an event without <c>ce_time</c> takes <paramref name="written"/> (the Kafka message's timestamp), so every
    /// consumer of it, now or in a replay, sees the same time.
    /// </summary>
    public static bool TryParse(Headers? headers, byte[]? value, DateTimeOffset? written, out CloudEvent? cloudEvent, out string? error)
    {
        cloudEvent = null;
        error = null;
        string? id = null, type = null, source = null, time = null, subject = null, traceParent = null, spec = null;
        var extensions = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        if (headers is not null)
        {
            foreach (var h in headers)
            {
                string text;
                try { text = StrictUtf8.GetString(h.GetValueBytes() ?? []); }
                catch (DecoderFallbackException) { error = $"header '{h.Key}' is not valid UTF-8"; return false; }
                switch (h.Key)
                {
                    case "ce_id": id = text; break;
                    case "ce_type": type = text; break;
                    case "ce_source": source = text; break;
                    case "ce_time": time = text; break;
                    case "ce_subject": subject = text; break;
                    case "ce_specversion": spec = text; break;
                    case "ce_traceparent": traceParent = text; break;
                    case "traceparent": traceParent ??= text; break;
                    case "content-type" or "ce_datacontenttype":
                        if (!text.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase) && !text.EndsWith("+json", StringComparison.OrdinalIgnoreCase))
                        { error = $"content-type '{text}' is not JSON"; return false; }
                        break;
                    default:
                        if (h.Key.StartsWith("ce_", StringComparison.Ordinal)) extensions[h.Key[3..]] = text;
                        else if (PlainHeaderExtensions.Contains(h.Key)) extensions.TryAdd(h.Key, text); // ce_ wins
                        else if (h.Key.StartsWith("dlq_", StringComparison.Ordinal) && h.Key.Length > 4) extensions[DeadLetterPrefix + h.Key[4..]] = text;
                        break;
                }
            }
        }
        if (spec is not null && spec != "1.0") { error = $"unsupported ce_specversion '{spec}' (expected 1.0)"; return false; }
        if (string.IsNullOrWhiteSpace(id)) { error = "missing header ce_id"; return false; }
        if (string.IsNullOrWhiteSpace(type)) { error = "missing header ce_type"; return false; }
        if (string.IsNullOrWhiteSpace(source)) { error = "missing header ce_source"; return false; }

        var when = written ?? DateTimeOffset.UtcNow;
        if (time is not null && !DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out when))
        { error = $"ce_time '{time}' is not an RFC 3339 timestamp"; return false; }

        string data;
        try
        {
            data = value is null || value.Length == 0 ? "null" : StrictUtf8.GetString(value);
            using var _ = JsonDocument.Parse(data);
        }
        catch (Exception ex) when (ex is JsonException or DecoderFallbackException)
        {
            error = "value is not valid UTF-8 JSON: " + ex.Message;
            return false;
        }

        cloudEvent = new CloudEvent
        {
            Id = id, Type = type, Source = source, Time = when, Subject = subject, TraceParent = traceParent,
            Extensions = extensions.ToImmutable(), Data = data,
        };
        return true;
    }

    /// <summary>A Kafka message's timestamp, when it has one.</summary>
    public static DateTimeOffset? WrittenAt(Timestamp timestamp) =>
        timestamp.Type == TimestampType.NotAvailable ? null : new DateTimeOffset(timestamp.UtcDateTime, TimeSpan.Zero);

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
