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
/// per outcome queued a busy tenant's adds past the call timeout, and Orleans dead-lettered them.) They are stored in
/// pages of <see cref="PageSize"/> (<see cref="AuditTenantPageGrain"/>): a write stores only the pages that changed and
/// drops the oldest page once the others hold the capacity, so its cost does not grow with what is kept. (Stored whole,
/// up to 10,000 outcomes were serialised per write: a fifth of the pipeline bench's CPU went to state writes.) This
/// grain's own state names the pages.
/// </remarks>
[Reentrant]
public sealed class AuditTenantGrain([PersistentState("audit-tenant", GrainStores.Audit)] IPersistentState<AuditTenantState> state) : Grain, IAuditTenantGrain
{
    public const int Capacity = 10_000;
    public const int PageSize = 250;

    private readonly List<(int Number, List<AuditTurn> Turns)> _pages = [];
    private readonly Dictionary<int, List<AuditTurn>> _unsent = [];
    private readonly List<int> _dropped = [];
    private readonly HashSet<(string SessionId, string EventId)> _known = [];
    private int _kept; // outcomes on all pages
    private GroupedWrites? _groups;
    private GroupedWrites _writes => _groups ??= new GroupedWrites(WriteGroupAsync);
    private bool _migrated;

    private IAuditTenantPageGrain PageGrain(int number) => GrainFactory.GetGrain<IAuditTenantPageGrain>($"{this.GetPrimaryKeyString()}/{number}");

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var numbers = Enumerable.Range(state.State.FirstPage, state.State.PageCount).ToList();
        var pages = await Task.WhenAll(numbers.Select(n => PageGrain(n).Turns()));
        for (var i = 0; i < numbers.Count; i++) _pages.Add((numbers[i], [.. pages[i]]));
        _kept = _pages.Sum(p => p.Turns.Count);
        foreach (var turn in _pages.SelectMany(p => p.Turns)) _known.Add((turn.SessionId, turn.EventId));
        // Stored before there were pages: moved into pages by the next write.
        if (state.State.Turns is { Count: > 0 } before)
        {
            foreach (var turn in before.Where(t => !_known.Contains((t.SessionId, t.EventId)))) Append(turn);
            state.State.Turns = [];
            _migrated = true;
        }
    }

    public Task Add(AuditTurn turn)
    {
        // Redelivered: stored already, or in the write under way or the next one.
        if (_known.Contains((turn.SessionId, turn.EventId))) return _writes.Pending;
        Append(turn);
        return _writes.WriteAsync();
    }

    private void Append(AuditTurn turn)
    {
        _known.Add((turn.SessionId, turn.EventId));
        if (_pages.Count == 0 || _pages[^1].Turns.Count >= PageSize)
            _pages.Add((_pages.Count == 0 ? state.State.FirstPage + state.State.PageCount : _pages[^1].Number + 1, []));
        var (number, turns) = _pages[^1];
        turns.Add(turn);
        _kept++;
        if (!_unsent.TryGetValue(number, out var unsent)) _unsent[number] = unsent = [];
        unsent.Add(turn);
        // The oldest page goes whole once the others hold the capacity.
        while (_pages.Count > 1 && _kept - _pages[0].Turns.Count >= Capacity)
        {
            _kept -= _pages[0].Turns.Count;
            foreach (var old in _pages[0].Turns) _known.Remove((old.SessionId, old.EventId));
            _unsent.Remove(_pages[0].Number);
            _dropped.Add(_pages[0].Number);
            _pages.RemoveAt(0);
        }
    }

    /// <summary>One group's write (<see cref="GroupedWrites"/>): holds everything added until it starts.</summary>
    private async Task WriteGroupAsync()
    {
        // Taken together, with no await between: what this write stores.
        var unsent = _unsent.OrderBy(kv => kv.Key).ToList();
        _unsent.Clear();
        var first = _pages.Count > 0 ? _pages[0].Number : state.State.FirstPage + state.State.PageCount;
        var count = _pages.Count;
        var dropped = _dropped.ToList();
        _dropped.Clear();
        try
        {
            // Pages first, then the index that names them: a crash in between leaves outcomes on a page the index
            // does not name yet, and their adds are redelivered (their tasks never completed); a page appends once.
            foreach (var (number, turns) in unsent) await PageGrain(number).Append(turns);
            if (first != state.State.FirstPage || count != state.State.PageCount || _migrated)
            {
                state.State.FirstPage = first;
                state.State.PageCount = count;
                _migrated = false;
                await state.WriteOrDropAsync(this);
            }
            foreach (var number in dropped) await PageGrain(number).Clear();
        }
        catch
        {
            // The activation goes, and every add of the group is redelivered; until it has gone, the next write
            // sends this one's pages again (a page appends an outcome once), so an add accepted meanwhile as
            // "known" is still stored.
            foreach (var (number, turns) in unsent)
                if (_pages.Any(p => p.Number == number)) _unsent[number] = [.. turns, .. _unsent.GetValueOrDefault(number) ?? []];
            _dropped.AddRange(dropped);
            _migrated = true;
            DeactivateOnIdle();
            throw;
        }
    }

    public Task<IReadOnlyList<AuditTurn>> Search(AuditQuery query) => Task.FromResult<IReadOnlyList<AuditTurn>>(_pages.SelectMany(p => p.Turns)
        .Where(t => query.From is not { } from || t.Time >= from)
        .Where(t => query.To is not { } to || t.Time <= to)
        .Where(t => string.IsNullOrEmpty(query.Outcome) || t.Outcome == query.Outcome)
        .Where(t => string.IsNullOrEmpty(query.Rule) || (t.Rule?.Contains(query.Rule, StringComparison.OrdinalIgnoreCase) ?? false))
        .OrderByDescending(t => t.Time)
        .Take(Math.Clamp(query.Max, 1, 1000))
        .ToList());
}

/// <summary>Which pages hold a tenant's outcomes: <see cref="FirstPage"/> and the <see cref="PageCount"/> after it.</summary>
[GenerateSerializer]
public sealed class AuditTenantState
{
    /// <summary>Outcomes as stored before there were pages; moved into pages on activation.</summary>
    [Id(0)] public List<AuditTurn> Turns { get; set; } = [];
    [Id(1)] public int FirstPage { get; set; }
    [Id(2)] public int PageCount { get; set; }
}
