using System.Globalization;
using System.Text.Json;

namespace Streaming.Kafka.Events;

/// <summary>
/// The CloudEvents JSON event format (structured mode): one event as a JSON object with its attributes and
/// extensions as members and the JSON data as <c>data</c>; a batch (<c>application/cloudevents-batch+json</c>) is an
/// array of them. For exports and APIs; on Kafka the events stay in binary mode.
/// </summary>
public static class CloudEventJsonFormat
{
    public const string BatchContentType = "application/cloudevents-batch+json";
    public const string LinesContentType = "application/x-ndjson";

    /// <summary>For APIs and files, not HTML: '+' and non-ASCII stay as they are.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes one event; <paramref name="more"/> adds extension attributes (e.g. where it is in Kafka).</summary>
    public static void Write(Utf8JsonWriter json, CloudEvent e, IEnumerable<KeyValuePair<string, object?>>? more = null)
    {
        json.WriteStartObject();
        json.WriteString("specversion", "1.0");
        json.WriteString("id", e.Id);
        json.WriteString("type", e.Type);
        json.WriteString("source", e.Source);
        json.WriteString("time", e.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
        if (e.Subject is not null) json.WriteString("subject", e.Subject);
        json.WriteString("datacontenttype", CloudEventKafkaMapping.ContentType);
        if (e.TraceParent is not null) json.WriteString("traceparent", e.TraceParent);
        foreach (var (name, value) in e.Extensions.OrderBy(x => x.Key, StringComparer.Ordinal))
            if (IsAttributeName(name)) json.WriteString(name, value);
        foreach (var (name, value) in more ?? [])
            WriteValue(json, name, value);
        json.WritePropertyName("data");
        using (var data = JsonDocument.Parse(e.Data)) data.RootElement.WriteTo(json);
        json.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter json, string name, object? value)
    {
        switch (value)
        {
            case null: return;
            case int i: json.WriteNumber(name, i); break;
            case long l: json.WriteNumber(name, l); break;
            case bool b: json.WriteBoolean(name, b); break;
            default: json.WriteString(name, Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
    }

    /// <summary>CloudEvents attribute names: lower-case letters and digits only (the dead-letter extensions keep theirs).</summary>
    public static bool IsAttributeName(string name) => name.Length is > 0 and <= 20 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9'));
}
