using Grains.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Streaming.Kafka;
using Streaming.Kafka.Events;

namespace Grains.Audit;

/// <summary>One event of a conversation's history: its index entry and the event as Kafka still holds it (null when expired).</summary>
public sealed record AuditEvent(AuditEntry Entry, CloudEvent? Event, string? Missing);

/// <summary>
/// A conversation's or a trace's history from the log: the index says where each event is, the reader fetches exactly
/// those positions. Nothing is scanned and nothing committed; an event the topic no longer retains comes back with
/// its entry and the reason.
/// </summary>
public sealed class AuditReplay(IGrainFactory grains, KafkaEventReader reader)
{
    public static AuditReplay For(IServiceProvider services) =>
        new(services.GetRequiredService<IGrainFactory>(), KafkaEventReader.For(services, Stage.Audit.Name));

    /// <summary>The session's events in log order; empty when the index has none.</summary>
    public async Task<IReadOnlyList<AuditEvent>> SessionAsync(string sessionId, CancellationToken cancellationToken = default) =>
        await ReadAsync(await grains.GetGrain<IAuditSessionGrain>(sessionId).Entries(), cancellationToken);

    /// <summary>The trace's events (one turn, possibly across sessions) in log order.</summary>
    public async Task<IReadOnlyList<AuditEvent>> TraceAsync(string traceId, CancellationToken cancellationToken = default)
    {
        var entries = new List<AuditEntry>();
        foreach (var session in await grains.GetGrain<IAuditTraceGrain>(traceId).Sessions())
            entries.AddRange((await grains.GetGrain<IAuditSessionGrain>(session).Entries()).Where(e => e.TraceId == traceId));
        return await ReadAsync(entries.OrderBy(e => e.Time).ThenBy(e => e.Position.Offset).ToList(), cancellationToken);
    }

    /// <summary>The events at the given entries' positions (e.g. a chosen part of a session), in the order given.</summary>
    public async Task<IReadOnlyList<AuditEvent>> ReadAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken = default)
    {
        var read = await reader.ReadAsync(entries.Select(e => e.Position).ToList(), cancellationToken);
        return entries.Zip(read, (entry, r) => new AuditEvent(entry, r.Event, r.Missing)).ToList();
    }
}
