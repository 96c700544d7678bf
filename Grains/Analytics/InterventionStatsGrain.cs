using Grains.Hosting;
using System.Diagnostics.Metrics;
using Grains.Approvals;
using Grains.Pipeline;
using Streaming.Kafka.Events;

namespace Grains.Analytics;

/// <summary>What happened to an item in an approval queue.</summary>
public enum InterventionStep { Held, Approved, Edited, Rejected, Released, Escalated, DefaultApplied }

/// <summary>
/// One step of one held item, with how long a person took when the step is a decision. <see cref="EventId"/> is the
/// step's event on <c>approvals.events</c>: a step read twice from the topic counts once.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record InterventionRecord(
    [property: Id(0)] string TenantId,
    [property: Id(1)] Tier Tier,
    [property: Id(2)] string Rule,
    [property: Id(3)] string Team,
    [property: Id(4)] InterventionStep Step,
    [property: Id(5)] double? LatencyMs,
    [property: Id(6)] DateTimeOffset At,
    [property: Id(7)] string? EventId = null,
    [property: Id(8)] HoldKind Kind = HoldKind.Answer)
{
    /// <summary>The record of an <c>approval.recorded</c> event; null for any other event or one that does not parse.</summary>
    public static InterventionRecord? Of(CloudEvent e)
    {
        if (e.Type != ChatEventTypes.ApprovalRecorded) return null;
        ApprovalAudit? a;
        try { a = e.DataAs<ApprovalAudit>(); }
        catch (System.Text.Json.JsonException) { return null; }
        return a is null ? null : new InterventionRecord(a.TenantId, a.Tier, a.Rule, a.Team, a.Step, a.LatencyMs, a.At, e.Id, a.Kind);
    }
}

/// <summary>
/// How often a rule's held answers were worth holding, as moderators judged them: edited or rejected (the hold caught
/// something) against approved unchanged (it need not have held). Held customer messages, escalations and SLA
/// defaults are left out: no person judged an answer there.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RulePrecision(
    [property: Id(0)] string Rule,
    [property: Id(1)] long Held,
    [property: Id(2)] long ApprovedUnchanged,
    [property: Id(3)] long Edited,
    [property: Id(4)] long Rejected)
{
    public long Reviewed => ApprovedUnchanged + Edited + Rejected;

    /// <summary>Share of the reviewed holds a moderator edited or rejected; null before the first review.</summary>
    public double? Precision => Reviewed == 0 ? null : (double)(Edited + Rejected) / Reviewed;
}

/// <summary>Figures for one tenant, tier, rule or team.</summary>
[GenerateSerializer, Immutable]
public sealed record InterventionFigures(
    [property: Id(0)] string Key,
    [property: Id(1)] long Held,
    [property: Id(2)] long Approved,
    [property: Id(3)] long Edited,
    [property: Id(4)] long Rejected,
    [property: Id(5)] long Released,
    [property: Id(6)] long Overdue,
    [property: Id(7)] long DefaultApplied,
    [property: Id(8)] double LatencyP50Ms,
    [property: Id(9)] double LatencyP95Ms)
{
    public long Decided => Approved + Edited + Rejected + Released + DefaultApplied;
    public double RejectRate => Decided == 0 ? 0 : (double)Rejected / Decided;
    public double EditRate => Decided == 0 ? 0 : (double)Edited / Decided;
}

[GenerateSerializer, Immutable]
public sealed record InterventionReport(
    [property: Id(0)] InterventionFigures Total,
    [property: Id(1)] IReadOnlyList<InterventionFigures> ByTenant,
    [property: Id(2)] IReadOnlyList<InterventionFigures> ByTier,
    [property: Id(3)] IReadOnlyList<InterventionFigures> ByRule,
    [property: Id(4)] IReadOnlyList<InterventionFigures> ByTeam,
    [property: Id(5)] DateTimeOffset TakenAt,
    [property: Id(6)] IReadOnlyList<RulePrecision> Precision);

public interface IInterventionStatsGrain : IGrainWithIntegerKey
{
    /// <summary>Counts a step; a record whose <see cref="InterventionRecord.EventId"/> was counted already changes nothing.</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("record")] Task Record(InterventionRecord record);

    /// <summary>Replaces the records with what <c>approvals.events</c> says (<see cref="FiguresRebuild"/>): the first batch resets, each batch is stored.</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("rebuild")] Task Rebuild(IReadOnlyList<InterventionRecord> batch, bool first);

    /// <summary>All tenants, or only <paramref name="tenants"/> (a tenant admin's view).</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("report"), Orleans.Concurrency.ReadOnly] Task<InterventionReport> Report(IReadOnlyCollection<string>? tenants = null);
}

/// <summary>
/// How often people intervened and how: counts, approval latency p50/p95, reject and edit rates,
/// overdue and default-applied, per tenant, tier, rule and team, and each hold rule's precision. Fed from
/// <c>approvals.events</c> by the audit stage (one path: what the figures count is what the log says), idempotent by
/// event id. Keeps the latest records (bounded) and computes figures when asked; every record is also a metric
/// (<see cref="InterventionMetrics"/>).
/// The state (up to 50 000 records) is written every few seconds when it changed, not per record:
/// a write copies all of it. A crash may lose the last seconds; <c>approvals.events</c> has them all.
/// </summary>
public sealed class InterventionStatsGrain(
    [PersistentState("interventions", GrainStores.Figures)] IPersistentState<InterventionStatsState> state,
    TimeProvider time) : Grain, IInterventionStatsGrain
{
    private const int MaxRecords = 50_000;
    private static readonly TimeSpan WriteEvery = TimeSpan.FromSeconds(5);
    private bool _dirty;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(WriteIfChangedAsync, new GrainTimerCreationOptions(WriteEvery, WriteEvery));
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => WriteIfChangedAsync(cancellationToken);

    private async Task WriteIfChangedAsync(CancellationToken cancellationToken)
    {
        if (!_dirty) return;
        _dirty = false;
        await state.WriteStateAsync(cancellationToken);
    }

    public Task Record(InterventionRecord record)
    {
        if (!Add(record)) return Task.CompletedTask; // redelivered
        InterventionMetrics.Observe(record);
        _dirty = true;
        return Task.CompletedTask;
    }

    public async Task Rebuild(IReadOnlyList<InterventionRecord> batch, bool first)
    {
        if (first)
        {
            state.State.Records.Clear();
            _counted = null;
        }
        foreach (var record in batch) Add(record);
        _dirty = true;
        await WriteIfChangedAsync(CancellationToken.None);
    }

    /// <summary>The event ids of the records kept: a step is counted once however often the topic delivers it.</summary>
    private HashSet<string> Counted => _counted ??= state.State.Records.Where(r => r.EventId is not null).Select(r => r.EventId!).ToHashSet(StringComparer.Ordinal);
    private HashSet<string>? _counted;

    private bool Add(InterventionRecord record)
    {
        if (record.EventId is { } id && !Counted.Add(id)) return false;
        state.State.Records.Add(record);
        if (state.State.Records.Count > MaxRecords)
        {
            var dropped = state.State.Records.Count - MaxRecords;
            foreach (var old in state.State.Records.Take(dropped)) if (old.EventId is { } oldId) Counted.Remove(oldId);
            state.State.Records.RemoveRange(0, dropped);
        }
        return true;
    }

    public Task<InterventionReport> Report(IReadOnlyCollection<string>? tenants = null)
    {
        var records = tenants is null ? state.State.Records : state.State.Records.Where(r => tenants.Contains(r.TenantId)).ToList();
        return Task.FromResult(new InterventionReport(
            Figures("all", records),
            Group(records, r => r.TenantId),
            Group(records, r => r.Tier.ToString().ToLowerInvariant()),
            Group(records, r => r.Rule),
            Group(records, r => r.Team),
            time.GetUtcNow(),
            PrecisionByRule(records)));
    }

    private static List<RulePrecision> PrecisionByRule(IEnumerable<InterventionRecord> records) =>
        records.Where(r => r.Kind != HoldKind.Message).GroupBy(r => r.Rule).Select(g => new RulePrecision(g.Key,
                g.Count(r => r.Step == InterventionStep.Held), g.Count(r => r.Step == InterventionStep.Approved),
                g.Count(r => r.Step == InterventionStep.Edited), g.Count(r => r.Step == InterventionStep.Rejected)))
            .Where(p => p.Held + p.Reviewed > 0)
            .OrderByDescending(p => p.Reviewed).ThenBy(p => p.Rule, StringComparer.Ordinal).ToList();

    private static List<InterventionFigures> Group(IEnumerable<InterventionRecord> records, Func<InterventionRecord, string> key) =>
        records.GroupBy(key).Select(g => Figures(g.Key, g)).OrderByDescending(f => f.Held).ThenBy(f => f.Key, StringComparer.Ordinal).ToList();

    private static InterventionFigures Figures(string key, IEnumerable<InterventionRecord> group)
    {
        var list = group.ToList();
        long Count(InterventionStep step) => list.Count(r => r.Step == step);
        var latencies = list.Where(r => r.LatencyMs is not null && r.Step != InterventionStep.Escalated).Select(r => r.LatencyMs!.Value).Order().ToArray();
        return new InterventionFigures(key, Count(InterventionStep.Held), Count(InterventionStep.Approved), Count(InterventionStep.Edited),
            Count(InterventionStep.Rejected), Count(InterventionStep.Released), Count(InterventionStep.Escalated), Count(InterventionStep.DefaultApplied),
            NearestRank.Of(latencies, 0.50), NearestRank.Of(latencies, 0.95));
    }
}

[GenerateSerializer]
public sealed class InterventionStatsState
{
    [Id(0)] public List<InterventionRecord> Records { get; set; } = [];
}

/// <summary>
/// The same figures as OpenTelemetry-style metrics (meter <c>AgentPlatform.Interventions</c>), for
/// whatever the deployment scrapes: the portal serves them on <c>/metrics</c>.
/// </summary>
public static class InterventionMetrics
{
    public const string MeterName = "AgentPlatform.Interventions";
    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Steps = Meter.CreateCounter<long>("agent_platform.interventions", "{step}", "Approval-queue steps by tenant, tier, rule, team and step.");
    private static readonly Histogram<double> Latency = Meter.CreateHistogram<double>("agent_platform.approval.latency", "ms", "Time from hold to a decision.");

    public static void Observe(InterventionRecord r)
    {
        var tags = new System.Diagnostics.TagList
        {
            { "tenant", r.TenantId }, { "tier", r.Tier.ToString().ToLowerInvariant() }, { "rule", r.Rule }, { "team", r.Team },
            { "step", r.Step.ToString().ToLowerInvariant() },
        };
        Steps.Add(1, tags);
        if (r.LatencyMs is { } ms && r.Step is not (InterventionStep.Held or InterventionStep.Escalated)) Latency.Record(ms, tags);
    }
}
