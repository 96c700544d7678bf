using Grains.Scheduling;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Grains.Tests.Scheduling;

/// <summary>The scheduler alone, on a fake clock: who gets the model's slots, in which order, and what happens under overload.</summary>
public sealed class ModelSchedulerTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));

    private static SchedulerOptions Options(int maxConcurrency = 1, Action<SchedulerOptions>? configure = null)
    {
        var o = new SchedulerOptions { Backends = [new BackendOptions { Name = "main", MaxConcurrency = maxConcurrency }] };
        foreach (var c in new[] { o.Enterprise, o.Pro, o.Free, o.Background })
        {
            c.Backends = ["main"];
            c.ReservedSlots = 0;
            c.OverloadAction = OverloadAction.Wait;
            c.MaxQueueWait = TimeSpan.FromMinutes(10);
        }
        configure?.Invoke(o);
        Assert.True(new SchedulerOptionsValidator().Validate(null, o).Succeeded, string.Join("; ", new SchedulerOptionsValidator().Validate(null, o).Failures ?? []));
        return o;
    }

    private ModelScheduler Scheduler(SchedulerOptions options) => new(Microsoft.Extensions.Options.Options.Create(options), _clock);

    private static ModelRequest Request(string id, WorkClass c, int tokens = 100) => new(id, "tenant-" + id, c, tokens);

    private static ModelLease Granted(SchedulerTicket ticket)
    {
        Assert.True(ticket.Admitted.IsCompletedSuccessfully, $"{ticket.Request.Id} should have a slot");
        return Assert.IsType<ModelLease>(ticket.Admitted.Result.Lease);
    }

    private static Admission Decided(SchedulerTicket ticket)
    {
        Assert.True(ticket.Admitted.IsCompletedSuccessfully, $"{ticket.Request.Id} should be decided");
        return ticket.Admitted.Result;
    }

    private static void Waiting(params SchedulerTicket[] tickets)
    {
        foreach (var t in tickets) Assert.False(t.Admitted.IsCompleted, $"{t.Request.Id} should still wait");
    }

    [Fact]
    public void Under_contention_enterprise_is_served_first_then_pro_then_free()
    {
        using var scheduler = Scheduler(Options());
        var running = Granted(scheduler.Enqueue(Request("free-0", WorkClass.Free)));
        var free = scheduler.Enqueue(Request("free-1", WorkClass.Free));
        var pro = scheduler.Enqueue(Request("pro-1", WorkClass.Pro));
        var enterprise = scheduler.Enqueue(Request("ent-1", WorkClass.Enterprise));
        Waiting(free, pro, enterprise);

        running.Complete(true, 100);
        Granted(enterprise).Complete(true, 100);
        Waiting(free);
        Granted(pro).Complete(true, 100);
        Granted(free);
    }

    [Fact]
    public void Aging_lets_a_waiting_free_request_past_fresh_enterprise_work_eventually()
    {
        using var scheduler = Scheduler(Options());
        var running = Granted(scheduler.Enqueue(Request("busy", WorkClass.Enterprise)));
        var free = scheduler.Enqueue(Request("free", WorkClass.Free));

        // After 5 s free has 100 + 10·5 = 150 < 300: a fresh enterprise request still goes first.
        _clock.Advance(TimeSpan.FromSeconds(5));
        var early = scheduler.Enqueue(Request("ent-early", WorkClass.Enterprise));
        running.Complete(true, 100);
        var earlyLease = Granted(early);
        Waiting(free);

        // After 25 s free has 350 > 300: it goes before the next fresh enterprise request.
        _clock.Advance(TimeSpan.FromSeconds(20));
        var late = scheduler.Enqueue(Request("ent-late", WorkClass.Enterprise));
        earlyLease.Complete(true, 100);
        Granted(free);
        Waiting(late);
    }

    [Fact]
    public void Background_work_yields_to_all_chat_and_does_not_age_past_it()
    {
        using var scheduler = Scheduler(Options());
        var running = Granted(scheduler.Enqueue(Request("chat", WorkClass.Free)));
        var summary = scheduler.Enqueue(Request("summary", WorkClass.Background));
        _clock.Advance(TimeSpan.FromMinutes(5));
        var free = scheduler.Enqueue(Request("free", WorkClass.Free));
        running.Complete(true, 100);
        Granted(free).Complete(true, 100);
        Granted(summary);
    }

    [Fact]
    public void Reserved_lanes_keep_slots_for_paid_tiers_that_free_cannot_take()
    {
        using var scheduler = Scheduler(Options(maxConcurrency: 3, o => { o.Enterprise.ReservedSlots = 1; o.Pro.ReservedSlots = 1; }));
        var free = Enumerable.Range(0, 3).Select(i => scheduler.Enqueue(Request($"free-{i}", WorkClass.Free))).ToList();
        Granted(free[0]);
        Waiting(free[1], free[2]); // one shared slot only

        Granted(scheduler.Enqueue(Request("pro", WorkClass.Pro)));         // its lane
        Granted(scheduler.Enqueue(Request("ent", WorkClass.Enterprise)));  // its lane
        Assert.Equal(3, scheduler.Snapshot().Backends.Single().InFlight);
    }

    [Fact]
    public void Tokens_per_minute_hold_requests_until_the_budget_refills()
    {
        using var scheduler = Scheduler(Options(maxConcurrency: 10, o => o.Backends[0].TokensPerMinute = 1000));
        var a = Granted(scheduler.Enqueue(Request("a", WorkClass.Pro, 400)));
        Granted(scheduler.Enqueue(Request("b", WorkClass.Pro, 400)));
        var c = scheduler.Enqueue(Request("c", WorkClass.Pro, 400));
        Waiting(c);

        a.Complete(true, 400);                      // used what it estimated: nothing comes back
        Waiting(c);
        _clock.Advance(TimeSpan.FromSeconds(15));   // +250 tokens → 450 available
        Granted(c);
    }

    [Fact]
    public void A_failing_backend_is_taken_out_of_rotation_work_fails_over_and_it_is_retried_later()
    {
        var options = Options(maxConcurrency: 2, o =>
        {
            o.Backends.Add(new BackendOptions { Name = "backup", MaxConcurrency = 2 });
            o.Pro.Backends = ["main", "backup"];
            o.BreakerFailures = 3;
            o.BreakerOpenFor = TimeSpan.FromSeconds(30);
        });
        using var scheduler = Scheduler(options);
        for (var i = 0; i < 3; i++)
        {
            var lease = Granted(scheduler.Enqueue(Request($"fail-{i}", WorkClass.Pro)));
            Assert.Equal("main", lease.Backend);
            lease.Complete(false, 0);
        }
        Assert.Equal(CircuitState.Open, scheduler.Snapshot().Backends.Single(b => b.Name == "main").Circuit);

        var failedOver = Granted(scheduler.Enqueue(Request("next", WorkClass.Pro)));
        Assert.Equal("backup", failedOver.Backend);
        failedOver.Complete(true, 100);

        // After the break, one trial goes to main; a second waits for its outcome (on backup meanwhile).
        _clock.Advance(TimeSpan.FromSeconds(31));
        var trial = Granted(scheduler.Enqueue(Request("trial", WorkClass.Pro)));
        Assert.Equal("main", trial.Backend);
        Assert.Equal("backup", Granted(scheduler.Enqueue(Request("during-trial", WorkClass.Pro))).Backend);
        trial.Complete(true, 100);
        Assert.Equal(CircuitState.Closed, scheduler.Snapshot().Backends.Single(b => b.Name == "main").Circuit);
        Assert.Equal("main", Granted(scheduler.Enqueue(Request("after", WorkClass.Pro))).Backend);
    }

    [Fact]
    public void A_request_that_just_failed_on_a_backend_is_not_sent_back_to_it()
    {
        using var scheduler = Scheduler(Options(maxConcurrency: 2, o =>
        {
            o.Backends.Add(new BackendOptions { Name = "backup", MaxConcurrency = 2 });
            o.Enterprise.Backends = ["main", "backup"];
        }));
        var retry = scheduler.Enqueue(Request("x", WorkClass.Enterprise) with { Exclude = new HashSet<string> { "main" } });
        Assert.Equal("backup", Granted(retry).Backend);
    }

    [Fact]
    public void Free_work_whose_wait_would_break_its_target_is_shed_at_once_or_when_the_target_passes()
    {
        using var scheduler = Scheduler(Options(configure: o =>
        {
            o.Free.OverloadAction = OverloadAction.Shed;
            o.Free.MaxQueueWait = TimeSpan.FromSeconds(2.5);
        }));
        Granted(scheduler.Enqueue(Request("running", WorkClass.Free)));
        var first = scheduler.Enqueue(Request("q1", WorkClass.Free));   // predicted 1 s
        var second = scheduler.Enqueue(Request("q2", WorkClass.Free));  // predicted 2 s
        var third = scheduler.Enqueue(Request("q3", WorkClass.Free));   // predicted 3 s > 2.5 s: shed now
        Waiting(first, second);
        Assert.False(Decided(third).Granted);
        Assert.Contains("queue wait would exceed 2.5 s", Decided(third).ShedReason);

        _clock.Advance(TimeSpan.FromSeconds(3)); // the tick sees the waiting ones past their target
        Assert.False(Decided(first).Granted);
        Assert.False(Decided(second).Granted);
        Assert.Equal(0, scheduler.Snapshot().Classes.Single(c => c.Class == WorkClass.Free).Queued);
    }

    [Fact]
    public void Overloaded_pro_work_tells_the_customer_to_wait_and_is_answered_later()
    {
        using var scheduler = Scheduler(Options(configure: o =>
        {
            o.Pro.OverloadAction = OverloadAction.Busy;
            o.Pro.MaxQueueWait = TimeSpan.FromSeconds(5);
        }));
        var running = Granted(scheduler.Enqueue(Request("running", WorkClass.Enterprise)));
        var pro = scheduler.Enqueue(Request("pro", WorkClass.Pro));
        _clock.Advance(TimeSpan.FromSeconds(4));
        Assert.False(pro.Busy.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(pro.Busy.IsCompleted);
        Waiting(pro);
        running.Complete(true, 100);
        Assert.Equal(TimeSpan.FromSeconds(6), Decided(pro).QueueWait);
        Granted(pro);
    }

    [Fact]
    public void Overloaded_enterprise_work_goes_to_its_fallback_backend()
    {
        using var scheduler = Scheduler(Options(configure: o =>
        {
            o.Backends.Add(new BackendOptions { Name = "small", MaxConcurrency = 4 });
            o.Enterprise.OverloadAction = OverloadAction.Fallback;
            o.Enterprise.FallbackBackend = "small";
            o.Enterprise.MaxQueueWait = TimeSpan.FromSeconds(2);
        }));
        Granted(scheduler.Enqueue(Request("running", WorkClass.Enterprise)));
        var waiting = scheduler.Enqueue(Request("waiting", WorkClass.Enterprise));
        Waiting(waiting);
        _clock.Advance(TimeSpan.FromSeconds(2.5));
        var lease = Granted(waiting);
        Assert.Equal("small", lease.Backend);
        Assert.True(lease.Fallback);
    }

    [Fact]
    public void Settings_that_would_shed_paid_tiers_or_leave_no_shared_slot_are_refused_with_reasons()
    {
        var o = new SchedulerOptions();
        o.Pro.OverloadAction = OverloadAction.Shed;
        o.Enterprise.ReservedSlots = 8;
        o.Free.Backends = ["nowhere"];
        var failures = string.Join("\n", new SchedulerOptionsValidator().Validate(null, o).Failures!);
        Assert.Contains("shedding is for the free tier only", failures);
        Assert.Contains("must leave a shared slot", failures);
        Assert.Contains("unknown backend 'nowhere'", failures);
    }

    private static SiloCapacity Silo(string name, int enforced = 0, int granted = 0, int inFlight = 0, int queued = 0) => new(name, enforced, granted, inFlight, queued);

    [Fact]
    public void A_backend_limit_is_split_by_demand_and_what_nobody_wants_is_spread_evenly()
    {
        var targets = CapacityAllocation.Targets(8, [Silo("a", queued: 10), Silo("b", queued: 1), Silo("c")]);
        Assert.Equal(8, targets.Values.Sum());
        Assert.True(targets["a"] >= 6 && targets["b"] >= 1, string.Join(", ", targets));
        Assert.Equal(new[] { 3, 3, 2 }, CapacityAllocation.Targets(8, [Silo("a"), Silo("b"), Silo("c")]).Values.Order().Reverse());
    }

    [Fact]
    public void A_grant_never_takes_capacity_another_silo_may_still_be_using()
    {
        // b was granted 6 and still enforces 6 (it has not confirmed a smaller part): a gets at most what is left.
        var silos = new List<SiloCapacity> { Silo("a", queued: 8), Silo("b", enforced: 6, granted: 6, inFlight: 1) };
        Assert.Equal(2, CapacityAllocation.GrantFor("a", 8, silos));
        // b is told its smaller part; once it reports enforcing it, the rest goes to a.
        var forB = CapacityAllocation.GrantFor("b", 8, silos);
        Assert.True(forB < 6);
        silos[1] = Silo("b", enforced: forB, granted: forB, inFlight: 1);
        Assert.Equal(8 - forB, CapacityAllocation.GrantFor("a", 8, silos));
        // A fresh allocator that has not heard every silo yet lets nobody grow.
        Assert.Equal(0, CapacityAllocation.GrantFor("a", 8, [Silo("a", queued: 8)], growing: false));
    }

    [Fact]
    public void A_silo_starts_only_its_part_of_a_backend_and_more_when_it_gets_more()
    {
        using var scheduler = Scheduler(Options(maxConcurrency: 5, o => o.Backends[0].TokensPerMinute = 9000));
        scheduler.Apply([new BackendGrant("main", 1, 3000)]);
        var first = scheduler.Enqueue(Request("a", WorkClass.Pro));
        var second = scheduler.Enqueue(Request("b", WorkClass.Pro));
        Granted(first);
        Waiting(second);
        Assert.Equal(new BackendDemand("main", 5, 9000, 1, 1, 1), scheduler.Demand().Single());
        Assert.Equal(3000 - 100, scheduler.Snapshot().Backends.Single().TokensAvailable, precision: 0); // its third of 9000, less the running call's estimate

        scheduler.Apply([new BackendGrant("main", 5, 9000)]);
        Granted(second);
    }

    [Fact]
    public void Requests_queued_while_the_silo_has_no_part_start_when_it_gets_one()
    {
        using var scheduler = Scheduler(Options(maxConcurrency: 2, o => o.Backends[0].TokensPerMinute = 100_000));
        scheduler.Apply([new BackendGrant("main", 0, 0)]);
        var waiting = new[] { scheduler.Enqueue(Request("a", WorkClass.Pro)), scheduler.Enqueue(Request("b", WorkClass.Enterprise)) };
        Waiting(waiting);
        scheduler.Apply([new BackendGrant("main", 1, 50_000)]);
        Granted(waiting[1]);
        Waiting(waiting[0]);
    }
}
