using System.Collections.Immutable;
using System.Text.Json;

namespace Streaming.Kafka.Events;

/// <summary>
/// The one event type that travels through Kafka streams: a CloudEvent (spec 1.0) whose attributes
/// are Kafka headers (binary content mode) and whose data is UTF-8 JSON in the message value.
/// Extensions such as <c>tenantid</c>, <c>sessionid</c> and <c>tier</c> are plain header strings,
/// so kcat, Kafka Connect or any other client can read and write these events without Orleans.
/// </summary>
[GenerateSerializer, Immutable, Alias("cloudevent")]
public sealed record CloudEvent
{
    /// <summary>Unique per event; consumers de-duplicate on it (delivery is at-least-once).</summary>
    [Id(0)] public required string Id { get; init; }

    /// <summary>Reverse-DNS event type, e.g. <c>chat.message.received</c>.</summary>
    [Id(1)] public required string Type { get; init; }

    /// <summary>URI-reference of the producer, e.g. <c>/stages/input-guardrail</c>.</summary>
    [Id(2)] public required string Source { get; init; }

    [Id(3)] public DateTimeOffset Time { get; init; } = DateTimeOffset.UtcNow;

    [Id(4)] public string? Subject { get; init; }

    /// <summary>W3C trace context, carried end to end so a conversation can be replayed for audit.</summary>
    [Id(5)] public string? TraceParent { get; init; }

    /// <summary>Extension attributes (lower-case names, as CloudEvents requires).</summary>
    [Id(6)] public ImmutableDictionary<string, string> Extensions { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The event data as JSON text.</summary>
    [Id(7)] public string Data { get; init; } = "null";

    public string? Extension(string name) => Extensions.GetValueOrDefault(name);

    public CloudEvent WithExtension(string name, string? value) =>
        value is null ? this : this with { Extensions = Extensions.SetItem(name, value) };

    public T? DataAs<T>(JsonSerializerOptions? options = null) =>
        JsonSerializer.Deserialize<T>(Data, options ?? CloudEventJson.Options);

    public static CloudEvent Create<T>(string type, string source, T data, string? id = null, string? subject = null,
        string? traceParent = null, DateTimeOffset? time = null) => new()
    {
        Id = id ?? Guid.NewGuid().ToString("N"),
        Type = type,
        Source = source,
        Subject = subject,
        TraceParent = traceParent,
        Time = time ?? DateTimeOffset.UtcNow,
        Data = JsonSerializer.Serialize(data, CloudEventJson.Options),
    };
}

public static class CloudEventJson
{
    /// <summary>
    /// camelCase JSON with enums as camelCase strings (numbers are accepted too): the convention of
    /// most Kafka tooling and of the CloudEvents examples, and what a person typing into kcat writes.
    /// </summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        // Readable in kcat and logs ("I'd", not "I\u0027d"); the value is never embedded in HTML.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}
