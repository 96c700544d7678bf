using System.Security.Claims;
using System.Text.Json;
using Grains.Audit;
using Portal.Security;
using Streaming.Kafka.Events;

namespace Portal.Apis;

/// <summary>
/// A conversation's history from the log, for tools: <c>GET /api/audit/sessions/{sessionId}</c> and
/// <c>GET /api/audit/traces/{traceId}</c> answer <c>application/cloudevents-batch+json</c> (or JSON lines with
/// <c>?format=jsonl</c>): the events in log order in the CloudEvents JSON format, each with <c>kafkatopic</c>,
/// <c>kafkapartition</c> and <c>kafkaoffset</c> (a string: offsets outgrow the format's 32-bit integers). An event the
/// topic no longer retains is there with its index entry and <c>auditmissing</c> giving the reason. Staff sign-in or
/// <c>Authorization: Bearer KEY</c>; anonymous callers get 401; a tenant admin asking for another tenant's
/// conversation gets 404, as for one that does not exist.
/// </summary>
public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var audit = app.MapGroup("/api/audit").RequireAuthorization(StaffPolicies.AuditApi);
        audit.MapGet("/sessions/{sessionId}", (string sessionId, string? format, ClaimsPrincipal user, IServiceProvider services, CancellationToken ct) =>
            AnswerAsync(AuditReplay.For(services).SessionAsync(sessionId, ct), format, user));
        audit.MapGet("/traces/{traceId}", (string traceId, string? format, ClaimsPrincipal user, IServiceProvider services, CancellationToken ct) =>
            AnswerAsync(AuditReplay.For(services).TraceAsync(traceId, ct), format, user));
        return app;
    }

    private static async Task<IResult> AnswerAsync(Task<IReadOnlyList<AuditEvent>> reading, string? format, ClaimsPrincipal user)
    {
        var events = await reading;
        if (events.Count == 0 || events.Any(e => e.Entry.TenantId is { } tenant ? !user.MaySeeTenant(tenant) : !user.SeesAllTenants()))
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such conversation in the audit index.");
        var lines = format == "jsonl";
        return Results.Bytes(Write(events, lines), lines ? CloudEventJsonFormat.LinesContentType : CloudEventJsonFormat.BatchContentType);
    }

    /// <summary>The batch (a JSON array) or JSON lines (one event per line).</summary>
    public static byte[] Write(IReadOnlyList<AuditEvent> events, bool lines)
    {
        using var buffer = new MemoryStream();
        if (lines)
        {
            // One writer per line: a single writer would put a comma between top-level values.
            foreach (var e in events)
            {
                using (var line = new Utf8JsonWriter(buffer, CloudEventJsonFormat.WriterOptions))
                    CloudEventJsonFormat.Write(line, e.Event ?? Placeholder(e.Entry), Where(e));
                buffer.WriteByte((byte)'\n');
            }
        }
        else
        {
            using var json = new Utf8JsonWriter(buffer, CloudEventJsonFormat.WriterOptions);
            json.WriteStartArray();
            foreach (var e in events) CloudEventJsonFormat.Write(json, e.Event ?? Placeholder(e.Entry), Where(e));
            json.WriteEndArray();
        }
        return buffer.ToArray();
    }

    private static IEnumerable<KeyValuePair<string, object?>> Where(AuditEvent e) =>
    [
        new("kafkatopic", e.Entry.Position.Topic),
        new("kafkapartition", e.Entry.Position.Partition),
        new("kafkaoffset", e.Entry.Position.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("auditmissing", e.Missing),
    ];

    /// <summary>What the index knows of an event Kafka no longer holds.</summary>
    private static CloudEvent Placeholder(AuditEntry entry) => new()
    {
        Id = entry.EventId, Type = entry.Type, Source = "/audit/index", Time = entry.Time, Subject = entry.TurnId,
        Extensions = System.Collections.Immutable.ImmutableDictionary<string, string>.Empty
            .AddRange(new Dictionary<string, string?> { ["tenantid"] = entry.TenantId, ["sessionid"] = entry.SessionId, ["tier"] = entry.Tier }
                .Where(x => x.Value is not null).Select(x => new KeyValuePair<string, string>(x.Key, x.Value!))),
        Data = "null",
    };
}
