using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Grains.Scheduling;

/// <summary>A call the model stage wants to make.</summary>
public sealed record ModelRequest(string Id, string TenantId, WorkClass Class, int EstimatedTokens)
{
    /// <summary>Backends not to use (they just failed this request): failover goes to the next one.</summary>
    public IReadOnlySet<string> Exclude { get; init; } = new HashSet<string>();
}

/// <summary>The scheduler's answer: a slot on a backend, or a polite refusal (shed).</summary>
public sealed record Admission(ModelLease? Lease, string? ShedReason, TimeSpan QueueWait)
{
    public bool Granted => Lease is not null;
}

/// <summary>A waiting request: completes with its admission; <see cref="Busy"/> completes first when the customer should be told to wait.</summary>
public sealed class SchedulerTicket
{
    internal readonly TaskCompletionSource<Admission> AdmittedSource = new(TaskCreationOptions.RunContinuationsAsynchronously);
    internal readonly TaskCompletionSource BusySource = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal SchedulerTicket(ModelRequest request, DateTimeOffset enqueuedAt, IReadOnlyList<string> backends)
    {
        Request = request;
        EnqueuedAt = enqueuedAt;
        Backends = backends;
    }

    public ModelRequest Request { get; }
    public DateTimeOffset EnqueuedAt { get; }
    internal IReadOnlyList<string> Backends { get; set; }
    internal bool OverloadHandled { get; set; }
    internal bool OnFallback { get; set; }

    public Task<Admission> Admitted => AdmittedSource.Task;
    public Task Busy => BusySource.Task;
}

/// <summary>A granted call. <see cref="Complete"/> exactly once, with how it went and the tokens it used.</summary>
public sealed class ModelLease
{
    private readonly ModelScheduler _scheduler;
    private int _completed;

    internal ModelLease(ModelScheduler scheduler, string backend, WorkClass workClass, int estimatedTokens, bool fallback, DateTimeOffset startedAt)
    {
        _scheduler = scheduler;
        Backend = backend;
        Class = workClass;
        EstimatedTokens = estimatedTokens;
        Fallback = fallback;
        StartedAt = startedAt;
    }

    public string Backend { get; }
    public WorkClass Class { get; }
    public int EstimatedTokens { get; }
    /// <summary>Served by the class's fallback backend because the preferred ones were overloaded.</summary>
    public bool Fallback { get; }
    public DateTimeOffset StartedAt { get; }

    public void Complete(bool success, int tokensUsed)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0) _scheduler.Release(this, success, tokensUsed);
    }
}

public sealed record BackendSnapshot(string Name, int InFlight, int MaxConcurrency, CircuitState Circuit, double TokensAvailable, double AverageCallMs);

public sealed record ClassSnapshot(WorkClass Class, int Queued, int InFlight, double OldestWaitMs);

public sealed record SchedulerSnapshot(IReadOnlyList<ClassSnapshot> Classes, IReadOnlyList<BackendSnapshot> Backends, DateTimeOffset At);

/// <summary>
/// Fills the model backends' capacity (concurrent calls, tokens per minute) by class priority with
/// aging: enterprise first, then pro, then free, background last; waiting raises a request's
/// priority so free never starves. Reserved slots give a class a dedicated lane on its backends;
/// the rest is shared. A backend whose circuit is open is skipped and its work fails over to the
/// class's next backend. When a request's wait would break its class's target, the class's
/// overload action applies (fallback backend, busy notice, or shed for free).
/// One per silo; plain class on a <see cref="TimeProvider"/> so it is tested without a cluster.
/// </summary>
public sealed class ModelScheduler : IDisposable
{
    private readonly Lock _lock = new();
    private readonly SchedulerOptions _options;
    private readonly TimeProvider _clock;
    private readonly Dictionary<string, BackendState> _backends;
    private readonly List<SchedulerTicket> _waiting = [];
    private readonly ITimer _tick;

    public ModelScheduler(IOptions<SchedulerOptions> options, [FromKeyedServices(PlatformClock.Key)] TimeProvider clock)
    {
        _options = options.Value;
        _clock = clock;
        var now = clock.GetUtcNow();
        _backends = _options.Backends.ToDictionary(b => b.Name, b => new BackendState(b, _options, now), StringComparer.Ordinal);
        _tick = clock.CreateTimer(_ => Dispatch(), null, _options.TickPeriod, _options.TickPeriod);
    }

    public SchedulerOptions Options => _options;

    /// <summary>Queues the request; its ticket completes when a slot is granted or the request is shed.</summary>
    public SchedulerTicket Enqueue(ModelRequest request)
    {
        var classOptions = _options.For(request.Class);
        var backends = classOptions.Backends.Where(b => !request.Exclude.Contains(b)).ToList();
        var ticket = new SchedulerTicket(request, _clock.GetUtcNow(), backends);
        var completions = new List<Action>();
        lock (_lock)
        {
            if (backends.Count == 0 && classOptions.FallbackBackend is { } fb && !request.Exclude.Contains(fb))
            {
                ticket.Backends = [fb];
                ticket.OnFallback = true;
            }
            if (ticket.Backends.Count == 0)
            {
                ticket.AdmittedSource.SetResult(new Admission(null, "no backend left to fail over to", TimeSpan.Zero));
                return ticket;
            }
            _waiting.Add(ticket);
            // Decide at once when the wait is already predicted to break the target (no point queueing to shed later).
            if (!CanStartNow(ticket) && PredictedWait(ticket) > classOptions.MaxQueueWait) completions.AddRange(ApplyOverload(ticket));
        }
        foreach (var complete in completions) complete();
        Dispatch();
        return ticket;
    }

    /// <summary>What this silo uses and wants of each backend, for <see cref="IModelCapacityGrain"/>.</summary>
    public IReadOnlyList<BackendDemand> Demand()
    {
        lock (_lock)
        {
            // A waiting request counts for the first backend it may use (its preferred one).
            var queued = _waiting.GroupBy(t => t.Backends[0]).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            return _backends.Values.Select(b => new BackendDemand(b.Options.Name, b.Options.MaxConcurrency, b.Options.TokensPerMinute,
                b.MaxConcurrency, b.InFlight, queued.GetValueOrDefault(b.Options.Name))).ToList();
        }
    }

    /// <summary>
    /// This silo's part of each backend's cluster-wide limits, from <see cref="IModelCapacityGrain"/>. Calls already
    /// running keep their slots; a smaller part applies to the next start, a larger one may start waiting requests now.
    /// </summary>
    public void Apply(IReadOnlyList<BackendGrant> grants)
    {
        lock (_lock)
        {
            var now = _clock.GetUtcNow();
            foreach (var grant in grants)
                if (_backends.TryGetValue(grant.Backend, out var backend)) backend.SetPart(grant.Concurrency, grant.TokensPerMinute, now);
        }
        Dispatch();
    }

    /// <summary>Takes a request out of the queue (its caller gave up); true when it was still waiting.</summary>
    public bool Cancel(SchedulerTicket ticket)
    {
        lock (_lock)
        {
            if (!_waiting.Remove(ticket)) return false;
        }
        ticket.AdmittedSource.TrySetCanceled();
        return true;
    }

    public SchedulerSnapshot Snapshot()
    {
        lock (_lock)
        {
            var now = _clock.GetUtcNow();
            var classes = Enum.GetValues<WorkClass>().Select(c => new ClassSnapshot(c,
                _waiting.Count(t => t.Request.Class == c),
                _backends.Values.Sum(b => b.InFlightOf(c)),
                _waiting.Where(t => t.Request.Class == c).Select(t => (now - t.EnqueuedAt).TotalMilliseconds).DefaultIfEmpty(0).Max())).ToList();
            var backends = _backends.Values.Select(b => new BackendSnapshot(b.Options.Name, b.InFlight, b.MaxConcurrency,
                CurrentCircuit(b, now), b.Tokens.Unlimited ? -1 : b.Tokens.Available(now), b.AverageCallMs)).ToList();
            return new SchedulerSnapshot(classes, backends, now);
        }
    }

    private static CircuitState CurrentCircuit(BackendState b, DateTimeOffset now)
    {
        b.Breaker.Allows(now); // moves Open → HalfOpen when due
        return b.Breaker.State;
    }

    internal void Release(ModelLease lease, bool success, int tokensUsed)
    {
        lock (_lock)
        {
            var backend = _backends[lease.Backend];
            var now = _clock.GetUtcNow();
            backend.Finished(lease.Class);
            backend.Tokens.Settle(lease.EstimatedTokens, tokensUsed);
            backend.Breaker.Record(success, now);
            if (success) backend.ObserveCall((now - lease.StartedAt).TotalMilliseconds);
        }
        Dispatch();
    }

    /// <summary>Grants free slots to the waiting requests with the highest aged priority; applies overload actions that fell due.</summary>
    public void Dispatch()
    {
        var completions = new List<Action>();
        lock (_lock)
        {
            var now = _clock.GetUtcNow();
            foreach (var ticket in _waiting.ToList())
                if (!ticket.OverloadHandled && now - ticket.EnqueuedAt > _options.For(ticket.Request.Class).MaxQueueWait)
                    completions.AddRange(ApplyOverload(ticket));

            // Highest effective priority first; a backend a higher request is waiting for is not
            // given to a lower one (work-conserving across backends, not past a waiting superior).
            var claimed = new HashSet<string>(StringComparer.Ordinal);
            foreach (var ticket in _waiting.OrderByDescending(t => EffectivePriority(t, now)).ThenBy(t => t.EnqueuedAt).ToList())
            {
                var backend = ticket.Backends.Select(n => _backends[n]).FirstOrDefault(b => !claimed.Contains(b.Options.Name) && b.CanStart(ticket.Request, now));
                if (backend is null)
                {
                    foreach (var name in ticket.Backends) claimed.Add(name);
                    continue;
                }
                _waiting.Remove(ticket);
                backend.Start(ticket.Request, now);
                var lease = new ModelLease(this, backend.Options.Name, ticket.Request.Class, ticket.Request.EstimatedTokens, ticket.OnFallback, now);
                var admission = new Admission(lease, null, now - ticket.EnqueuedAt);
                completions.Add(() => ticket.AdmittedSource.TrySetResult(admission));
            }
        }
        // Outside the lock: continuations must not run while we hold it.
        foreach (var complete in completions) complete();
    }

    private IEnumerable<Action> ApplyOverload(SchedulerTicket ticket)
    {
        ticket.OverloadHandled = true;
        var options = _options.For(ticket.Request.Class);
        switch (options.OverloadAction)
        {
            case OverloadAction.Shed:
                _waiting.Remove(ticket);
                var wait = _clock.GetUtcNow() - ticket.EnqueuedAt;
                return [() => ticket.AdmittedSource.TrySetResult(new Admission(null, $"{ticket.Request.Class} queue wait would exceed {options.MaxQueueWait.TotalSeconds:0.#} s", wait))];
            case OverloadAction.Fallback when options.FallbackBackend is { } fallback && !ticket.Request.Exclude.Contains(fallback):
                ticket.Backends = [fallback];
                ticket.OnFallback = true;
                return [];
            case OverloadAction.Busy:
                return [() => ticket.BusySource.TrySetResult()];
            default:
                return [];
        }
    }

    private double EffectivePriority(SchedulerTicket ticket, DateTimeOffset now)
    {
        var options = _options.For(ticket.Request.Class);
        return options.Priority + options.AgingPerSecond * (now - ticket.EnqueuedAt).TotalSeconds;
    }

    private bool CanStartNow(SchedulerTicket ticket)
    {
        var now = _clock.GetUtcNow();
        var priority = EffectivePriority(ticket, now);
        // Someone at least as urgent already waits for these backends: this one queues behind.
        if (_waiting.Any(t => t != ticket && EffectivePriority(t, now) >= priority && t.Backends.Intersect(ticket.Backends).Any())) return false;
        return ticket.Backends.Any(n => _backends[n].CanStart(ticket.Request, now));
    }

    /// <summary>Requests ahead (as urgent or more) ÷ slots this class can use × the backend's average call time.</summary>
    private TimeSpan PredictedWait(SchedulerTicket ticket)
    {
        var now = _clock.GetUtcNow();
        var priority = EffectivePriority(ticket, now);
        var ahead = _waiting.Count(t => t != ticket && EffectivePriority(t, now) >= priority);
        var backends = ticket.Backends.Select(n => _backends[n]).Where(b => b.Breaker.Allows(now)).ToList();
        if (backends.Count == 0) return TimeSpan.MaxValue;
        // A silo whose part of the cluster's capacity is empty right now gets some within a report period once it has
        // waiting requests (ModelCapacityReporter): predict with one slot rather than shed at once.
        var slots = Math.Max(1, backends.Sum(b => b.SlotsFor(ticket.Request.Class)));
        var callMs = backends.Max(b => b.AverageCallMs);
        return TimeSpan.FromMilliseconds(Math.Ceiling((ahead + 1.0) / slots) * callMs);
    }

    public void Dispose() => _tick.Dispose();

    /// <summary>One backend's live state: calls in flight per class, tokens, circuit, average call time.</summary>
    private sealed class BackendState(BackendOptions options, SchedulerOptions scheduler, DateTimeOffset now)
    {
        private readonly Dictionary<WorkClass, int> _inFlight = Enum.GetValues<WorkClass>().ToDictionary(c => c, _ => 0);
        private double _averageCallMs = 1000; // until measured
        private int _max = options.MaxConcurrency;

        public BackendOptions Options => options;

        /// <summary>This silo's concurrent calls: its part of the backend's cluster-wide <see cref="BackendOptions.MaxConcurrency"/>.</summary>
        public int MaxConcurrency => _max;

        public TokenBucket Tokens { get; } = new(options.TokensPerMinute, now);
        public CircuitBreaker Breaker { get; } = new(scheduler.BreakerFailures, scheduler.BreakerOpenFor);
        public int InFlight => _inFlight.Values.Sum();
        public double AverageCallMs => _averageCallMs;

        public int InFlightOf(WorkClass c) => _inFlight[c];

        public void SetPart(int concurrency, int tokensPerMinute, DateTimeOffset now)
        {
            _max = Math.Clamp(concurrency, 0, options.MaxConcurrency);
            if (!Tokens.Unlimited && tokensPerMinute > 0) Tokens.SetTokensPerMinute(tokensPerMinute, now);
        }

        // A class's lane, scaled with this silo's share of the backend (rounded down, so lanes never exceed the share).
        private int Reserved(WorkClass c) => scheduler.For(c).Backends.Contains(options.Name) && options.MaxConcurrency > 0
            ? scheduler.For(c).ReservedSlots * _max / options.MaxConcurrency
            : 0;

        private int Shared => _max - Enum.GetValues<WorkClass>().Sum(Reserved);

        private int SharedInUse => Enum.GetValues<WorkClass>().Sum(c => Math.Max(0, _inFlight[c] - Reserved(c)));

        /// <summary>Slots this class may use here: its lane plus the shared pool.</summary>
        public int SlotsFor(WorkClass c) => Reserved(c) + Shared;

        public bool CanStart(ModelRequest request, DateTimeOffset now) =>
            InFlight < _max
            && (_inFlight[request.Class] < Reserved(request.Class) || SharedInUse < Shared)
            && Tokens.CanTake(request.EstimatedTokens, now)
            && Breaker.Allows(now);

        public void Start(ModelRequest request, DateTimeOffset now)
        {
            _inFlight[request.Class]++;
            Tokens.Take(request.EstimatedTokens, now);
            Breaker.Started();
        }

        public void Finished(WorkClass c) => _inFlight[c] = Math.Max(0, _inFlight[c] - 1);

        public void ObserveCall(double ms) => _averageCallMs = _averageCallMs * 0.8 + ms * 0.2;
    }
}
