using Grains.Hosting;
using Grains.Pipeline;
using Orleans.Concurrency;
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
/// <remarks>
/// Reentrant, with its writes grouped (<see cref="GroupedWrites"/>, with a linger): a turn's events arrive from
/// seven topics within milliseconds, and their entries share a write; each delivery is acknowledged only once its
/// entry is stored.
/// </remarks>
[RegexImplicitStreamSubscription("^audit/")]
[Reentrant]
public sealed class AuditSessionGrain : Grain, IAuditSessionGrain
{
    private readonly IPersistentState<AuditSessionState> state;
    private readonly TimeProvider time;
    private readonly GroupedWrites _writes;

    public AuditSessionGrain([PersistentState("audit", GrainStores.Audit)] IPersistentState<AuditSessionState> state, TimeProvider time)
    {
        this.state = state;
        this.time = time;
        _writes = new GroupedWrites(() => state.WriteOrDropAsync(this), WriteLinger); // real time: a fake platform clock must not hold the audit up
    }

    /// <summary>
    /// How long a group of entries waits for more before it is stored. The audit is off the customer's path, so its
    /// deliveries can wait this long; in exchange a turn's seven events take two or three writes instead of seven.
    /// </summary>
    internal static readonly TimeSpan WriteLinger = TimeSpan.FromMilliseconds(20);

    /// <summary>One instance for every entry: the serializer writes a repeated instance as a reference.</summary>
    private string SessionId => _sessionId ??= this.GetPrimaryKeyString();
    private string? _sessionId;

    /// <summary>What the stored entries already say, kept in memory only so a write stores each fact once.</summary>
    private readonly HashSet<KafkaPosition> _positions = [];
    private readonly HashSet<string> _traces = new(StringComparer.Ordinal);
    /// <summary>Entries added and not yet stored: a redelivery of one waits for its write instead of adding it again.</summary>
    private readonly Dictionary<KafkaPosition, Task> _pending = [];
    private readonly Dictionary<string, Task> _traceAdds = new(StringComparer.Ordinal);

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

    private Task RecordAsync(string topic, CloudEvent e, StreamSequenceToken? token)
    {
        if (token is not KafkaSequenceToken { Partition: >= 0 } position) return Task.CompletedTask; // only events read from Kafka have a place in it
        var at = new KafkaPosition(Shared(TopicPrefix + topic), position.Partition, position.Offset);
        if (_positions.Contains(at)) return Task.CompletedTask; // redelivered
        if (_pending.TryGetValue(at, out var recording)) return recording; // redelivered while its first delivery is stored
        recording = RecordNewAsync(e, at);
        if (!recording.IsCompleted) _pending[at] = recording;
        return recording;
    }

    private async Task RecordNewAsync(CloudEvent e, KafkaPosition at)
    {
        // Its first await returns to the caller, which registers it as pending before anything else runs here.
        try
        {
            await StoreAsync(e, at);
            _positions.Add(at);
        }
        finally
        {
            _pending.Remove(at);
        }
    }

    private async Task StoreAsync(CloudEvent e, KafkaPosition at)
    {
        var entry = EntryOf(e, at);
        // The trace's way to this session first: a redelivery after a failure here finds the entry not yet stored.
        // Events of one trace arriving together share that call (this grain is reentrant).
        if (entry.TraceId is { } trace && !_traces.Contains(trace))
        {
            if (!_traceAdds.TryGetValue(trace, out var adding))
            {
                adding = AddTraceAsync(trace);
                if (!adding.IsCompleted) _traceAdds[trace] = adding;
            }
            await adding;
        }
        // An outcome goes to the tenant's search too (idempotent by event), before the entry is stored, for the same reason.
        if (AuditOutcomes.Of(entry.Type) is { } outcome && entry.TenantId is { } tenant)
            await GrainFactory.GetGrain<IAuditTenantGrain>(tenant).Add(new AuditTurn(SessionId, entry.TurnId, entry.TraceId, entry.Time, outcome, entry.Rule, entry.Tier, entry.EventId));
        // Likewise an approval step to the intervention figures (idempotent by event id): their one source is the topic.
        if (Analytics.InterventionRecord.Of(e) is { } step)
            await GrainFactory.GetGrain<Analytics.IInterventionStatsGrain>(0).Record(step);
        state.State.Entries.Add(entry);
        await _writes.WriteAsync(); // on failure the activation goes, and with it the sets above
    }

    private async Task AddTraceAsync(string trace)
    {
        try
        {
            await GrainFactory.GetGrain<IAuditTraceGrain>(trace).Add(SessionId);
            _traces.Add(trace);
        }
        finally
        {
            _traceAdds.Remove(trace);
        }
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
        return new AuditEntry(e.Id, Shared(e.Type), at, e.Time, SessionId, trace, e.Subject ?? turn?.TurnId ?? lead?.LeadId,
            Shared(e.Extension("tenantid") ?? turn?.TenantId ?? lead?.TenantId), Shared(e.Extension("tier") ?? (turn?.Tier ?? lead?.Tier)?.ToString().ToLowerInvariant()),
            Shared(turn?.Verdict?.Rule ?? lead?.Verdict?.Rule), time.GetUtcNow());
    }

    /// <summary>
    /// The session's repeated values (topic, type, tenant, tier, rule) as one instance each, so a write serialises each
    /// once and refers to it after that.
    /// </summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(value))]
    private string? Shared(string? value)
    {
        if (value is null) return null;
        if (_shared.TryGetValue(value, out var known)) return known;
        if (_shared.Count < 256) _shared[value] = value; // bounded, whatever other tools write
        return value;
    }
    private readonly Dictionary<string, string> _shared = new(StringComparer.Ordinal);


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
