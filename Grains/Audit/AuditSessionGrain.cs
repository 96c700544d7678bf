using Grains.Hosting;
using Grains.Pipeline;
using Orleans.Runtime;
using Orleans.Streams;
using Streaming.Kafka;
using Streaming.Kafka.Events;
using Streaming.Kafka.Providers;

namespace Grains.Audit;

/// <summary>
/// The audit stage for one conversation: its own consumer group over every platform topic (the <c>audit</c>
/// provider, whose streams are named <c>audit/TOPIC</c> so the pipeline's grains never see them) records each event
/// of the session with its Kafka position, once, before the offset is committed. The event's data stays in Kafka;
/// replay reads it back by position.
/// </summary>
[RegexImplicitStreamSubscription("^audit/")]
public sealed class AuditSessionGrain(
    [PersistentState("audit", GrainStores.Audit)] IPersistentState<AuditSessionState> state,
    TimeProvider time) : Grain, IAuditSessionGrain
{
    private string SessionId => this.GetPrimaryKeyString();

    /// <summary>What the stored entries already say, kept in memory only so a write stores each fact once.</summary>
    private readonly HashSet<KafkaPosition> _positions = [];
    private readonly HashSet<string> _traces = new(StringComparer.Ordinal);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var entry in state.State.Entries)
        {
            _positions.Add(entry.Position);
            if (entry.TraceId is { } trace) _traces.Add(trace);
        }
        var provider = this.GetStreamProvider(Stage.Audit.Name);
        foreach (var topic in Stage.Audit.Topics)
        {
            var stream = StreamId.Create(Stage.Audit.NamespacePrefix + topic, SessionId);
            await provider.GetStream<CloudEvent>(stream).SubscribeAsync((e, token) => RecordAsync(topic, e, token));
        }
    }

    private async Task RecordAsync(string topic, CloudEvent e, StreamSequenceToken? token)
    {
        if (token is not KafkaSequenceToken { Partition: >= 0 } position) return; // only events read from Kafka have a place in it
        var at = new KafkaPosition(TopicPrefix + topic, position.Partition, position.Offset);
        if (_positions.Contains(at)) return; // redelivered
        var entry = EntryOf(e, at);
        // The trace's way to this session first: a redelivery after a failure here finds the entry not yet stored.
        if (entry.TraceId is { } trace && !_traces.Contains(trace))
        {
            await GrainFactory.GetGrain<IAuditTraceGrain>(trace).Add(SessionId);
            _traces.Add(trace);
        }
        // An outcome goes to the tenant's search too (idempotent by event), before the entry is stored, for the same reason.
        if (AuditOutcomes.Of(entry.Type) is { } outcome && entry.TenantId is { } tenant)
            await GrainFactory.GetGrain<IAuditTenantGrain>(tenant).Add(new AuditTurn(SessionId, entry.TurnId, entry.TraceId, entry.Time, outcome, entry.Rule, entry.Tier, entry.EventId));
        // Likewise an approval step to the intervention figures (idempotent by event id): their one source is the topic.
        if (Analytics.InterventionRecord.Of(e) is { } step)
            await GrainFactory.GetGrain<Analytics.IInterventionStatsGrain>(0).Record(step);
        state.State.Entries.Add(entry);
        await state.WriteOrDropAsync(this); // on failure the activation goes, and with it the sets above
        _positions.Add(at);
    }

    private string TopicPrefix => Stage.Audit.TopicPrefix(ServiceProvider);

    private AuditEntry EntryOf(CloudEvent e, KafkaPosition at)
    {
        ChatTurn? turn = null;
        Marketing.Lead? lead = null;
        if (Marketing.LeadTopics.All.Any(t => at.Topic.EndsWith(t, StringComparison.Ordinal)))
        {
            try { lead = Marketing.LeadEvents.Lead(e); }
            catch (Exception ex) when (ex is not OperationCanceledException) { } // not a lead: indexed by its attributes alone
        }
        else if (e.Type is not (ChatEventTypes.GuardrailEvaluated or ChatEventTypes.ApprovalRecorded)) // known not to carry a turn: no failed parse per event
        {
            try { turn = ChatEvents.Turn(e); }
            catch (Exception ex) when (ex is not OperationCanceledException) { } // not a chat turn: indexed by its attributes alone
        }
        var trace = turn?.TraceId ?? lead?.TraceId ?? ChatEvents.TraceIdOf(e.TraceParent);
        return new AuditEntry(e.Id, e.Type, at, e.Time, SessionId, trace, e.Subject ?? turn?.TurnId ?? lead?.LeadId,
            e.Extension("tenantid") ?? turn?.TenantId ?? lead?.TenantId, e.Extension("tier") ?? (turn?.Tier ?? lead?.Tier)?.ToString().ToLowerInvariant(),
            turn?.Verdict?.Rule ?? lead?.Verdict?.Rule, time.GetUtcNow());
    }


    public Task<IReadOnlyList<AuditEntry>> Entries() => Task.FromResult<IReadOnlyList<AuditEntry>>(
        state.State.Entries.OrderBy(e => e.Time).ThenBy(e => e.Position.Topic, StringComparer.Ordinal).ThenBy(e => e.Position.Offset).ToList());
}

[GenerateSerializer]
public sealed class AuditSessionState
{
    [Id(0)] public List<AuditEntry> Entries { get; set; } = [];
    // Ids 1 and 2 held the entries' positions and trace ids again; they are derived on activation now (an old
    // stored state's copies are skipped when read).
}
