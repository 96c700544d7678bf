using Streaming.Kafka;

namespace Grains.Audit;

/// <summary>
/// One event of the log as the audit index keeps it: what it was, whose, and where it is in Kafka, so the event
/// itself can be read back from the topic (the index holds no copy of the data).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AuditEntry(
    [property: Id(0)] string EventId,
    [property: Id(1)] string Type,
    [property: Id(2)] KafkaPosition Position,
    [property: Id(3)] DateTimeOffset Time,
    [property: Id(4)] string SessionId,
    [property: Id(5)] string? TraceId,
    [property: Id(6)] string? TurnId,
    [property: Id(7)] string? TenantId,
    [property: Id(8)] string? Tier,
    [property: Id(9)] string? Rule,
    [property: Id(10)] DateTimeOffset IndexedAt);

/// <summary>The audit index of one conversation (keyed by session id, like the Kafka message key).</summary>
public interface IAuditSessionGrain : IGrainWithStringKey
{
    /// <summary>Every indexed event of the session, in log order (time, then topic position).</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("entries"), Orleans.Concurrency.ReadOnly] Task<IReadOnlyList<AuditEntry>> Entries();
}

/// <summary>Which conversations a trace id (one per turn) touched: the way from a trace to its session's index.</summary>
public interface IAuditTraceGrain : IGrainWithStringKey
{
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("add")] Task Add(string sessionId);

    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("sessions"), Orleans.Concurrency.ReadOnly] Task<IReadOnlyList<string>> Sessions();
}
