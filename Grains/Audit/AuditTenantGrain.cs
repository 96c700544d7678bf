using Grains.Hosting;
using Grains.Pipeline;
using Orleans.Concurrency;

namespace Grains.Audit;

/// <summary>How a turn ended, as the audit search names it.</summary>
public static class AuditOutcomes
{
    public static readonly string[] All = ["answered", "rejected", "flagged", "held", "throttled", "shed", "failed", "replaced"];

    public static string? Of(string eventType) => eventType switch
    {
        ChatEventTypes.ResponseFinal or ChatEventTypes.ResponseApproved => "answered",
        ChatEventTypes.MessageRejected => "rejected",
        ChatEventTypes.ResponseFlagged => "flagged",
        ChatEventTypes.ResponseHeld => "held",
        ChatEventTypes.ResponseThrottled => "throttled",
        ChatEventTypes.ResponseShed => "shed",
        ChatEventTypes.ResponseFailed => "failed",
        ChatEventTypes.ResponseRejected => "replaced",
        _ => null,
    };
}

/// <summary>One outcome of a turn, as the tenant's audit search lists it.</summary>
[GenerateSerializer, Immutable]
public sealed record AuditTurn(
    [property: Id(0)] string SessionId,
    [property: Id(1)] string? TurnId,
    [property: Id(2)] string? TraceId,
    [property: Id(3)] DateTimeOffset Time,
    [property: Id(4)] string Outcome,
    [property: Id(5)] string? Rule,
    [property: Id(6)] string? Tier,
    [property: Id(7)] string EventId);

/// <summary>A search over a tenant's turn outcomes (newest first).</summary>
[GenerateSerializer, Immutable]
public sealed record AuditQuery(
    [property: Id(0)] DateTimeOffset? From = null,
    [property: Id(1)] DateTimeOffset? To = null,
    [property: Id(2)] string? Outcome = null,
    [property: Id(3)] string? Rule = null,
    [property: Id(4)] int Max = 200);

/// <summary>The audit search of one tenant: its turns' outcomes with time, outcome and rule, the way to their sessions.</summary>
public interface IAuditTenantGrain : IGrainWithStringKey
{
    [ResponseTimeout(CallTimeouts.Call)] [Alias("add")] Task Add(AuditTurn turn);

    [ResponseTimeout(CallTimeouts.Call)] [Alias("search"), Orleans.Concurrency.ReadOnly] Task<IReadOnlyList<AuditTurn>> Search(AuditQuery query);
}

/// <summary>
/// Keeps the last <see cref="Capacity"/> outcomes of a tenant's turns (fed by the audit stage), so an auditor can find
/// conversations by time, outcome or rule without scanning the log. Older outcomes stay findable by session and
/// trace; a time-partitioned index is the way past this bound.
/// </summary>
/// <remarks>
/// One grain takes every outcome of a busy tenant, so outcomes are stored in groups: each <see cref="Add"/> returns
/// once a write holding it is stored, and the outcomes that arrive while one write runs share the next. (Writing once
/// per outcome queued a busy tenant's adds past the call timeout, and Orleans dead-lettered them.)
/// </remarks>
[Reentrant]
public sealed class AuditTenantGrain([PersistentState("audit-tenant", GrainStores.Audit)] IPersistentState<AuditTenantState> state) : Grain, IAuditTenantGrain
{
    public const int Capacity = 10_000;

    private HashSet<(string SessionId, string EventId)>? _known;
    private Task? _writing;
    private Task? _next;

    public Task Add(AuditTurn turn)
    {
        _known ??= state.State.Turns.Select(t => (t.SessionId, t.EventId)).ToHashSet();
        // Redelivered: stored already, or in the write under way or the next one.
        if (!_known.Add((turn.SessionId, turn.EventId))) return _next ?? _writing ?? Task.CompletedTask;
        state.State.Turns.Add(turn);
        if (state.State.Turns.Count > Capacity)
        {
            var over = state.State.Turns.Count - Capacity;
            foreach (var old in state.State.Turns.Take(over)) _known.Remove((old.SessionId, old.EventId));
            state.State.Turns.RemoveRange(0, over);
        }
        return _next ??= WriteAfterAsync(_writing);
    }

    /// <summary>The next group's write: after the one under way, holding everything added until it starts.</summary>
    private async Task WriteAfterAsync(Task? previous)
    {
        // Always yields first, so _next is set before this starts and adds meanwhile join this write.
        if (previous is not null) await previous.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Current);
        else await Task.Yield();
        _writing = _next;
        _next = null;
        try
        {
            await state.WriteOrDropAsync(this); // on failure the activation goes, and every add of the group is redelivered
        }
        catch
        {
            _known = null;
            throw;
        }
    }

    public Task<IReadOnlyList<AuditTurn>> Search(AuditQuery query) => Task.FromResult<IReadOnlyList<AuditTurn>>(state.State.Turns
        .Where(t => query.From is not { } from || t.Time >= from)
        .Where(t => query.To is not { } to || t.Time <= to)
        .Where(t => string.IsNullOrEmpty(query.Outcome) || t.Outcome == query.Outcome)
        .Where(t => string.IsNullOrEmpty(query.Rule) || (t.Rule?.Contains(query.Rule, StringComparison.OrdinalIgnoreCase) ?? false))
        .OrderByDescending(t => t.Time)
        .Take(Math.Clamp(query.Max, 1, 1000))
        .ToList());
}

[GenerateSerializer]
public sealed class AuditTenantState
{
    [Id(0)] public List<AuditTurn> Turns { get; set; } = [];
}
