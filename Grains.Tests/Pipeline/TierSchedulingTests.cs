using System.Collections.Concurrent;
using Grains.Conversations;
using Grains.Hosting;
using Grains.Models;
using Grains.Pipeline;
using Grains.Scheduling;
using Grains.Tenants;
using Grains.Tests.Infrastructure;
using Grains.Tiers;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Storage;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Grains.Tests.Pipeline;

/// <summary>A model stub the test controls: each call waits until the test lets it through, and the order of calls is recorded.</summary>
public sealed class GatedModel : IChatClient
{
    private readonly SemaphoreSlim _permits = new(0);
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<string> Started { get; } = new();

    public bool HasStarted(string question) => Started.Contains(question);

    /// <summary>Lets <paramref name="calls"/> more calls finish.</summary>
    public void Release(int calls = 1) => _permits.Release(calls);

    /// <summary>Lets every call, present and future, finish.</summary>
    public void Open() => _open.TrySetResult();

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var question = messages.Last().Text;
        Started.Enqueue(question);
        await Task.WhenAny(_permits.WaitAsync(cancellationToken), _open.Task);
        cancellationToken.ThrowIfCancellationRequested();
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, "Answer to: " + question)) { ModelId = "gated-stub" };
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}

/// <summary>The pipeline with one model slot per silo, a gated model stub and a fake platform clock.</summary>
public class TierPipelineCluster : IAsyncLifetime
{
    public GatedModel Model { get; } = new();
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);
    public InProcessTestCluster Cluster { get; private set; } = null!;
    public string Prefix { get; } = TestKafka.UniquePrefix();

    public static void OneSlot(SchedulerOptions o)
    {
        o.Backends = [new BackendOptions { Name = "default", MaxConcurrency = 1 }];
        foreach (var c in new[] { o.Enterprise, o.Pro, o.Free, o.Background }) c.ReservedSlots = 0;
        o.Enterprise.OverloadAction = OverloadAction.Wait;
        o.Pro.OverloadAction = OverloadAction.Wait;
        o.Pro.MaxQueueWait = o.Enterprise.MaxQueueWait = TimeSpan.FromMinutes(10);
        o.Free.OverloadAction = OverloadAction.Shed;
        o.Free.MaxQueueWait = TimeSpan.FromSeconds(20);
    }

    protected virtual short Silos => 1;

    /// <summary>For fixtures that need other backends or settings.</summary>
    protected virtual void Configure(ISiloBuilder silo) { }

    public async Task InitializeAsync()
    {
        var kafka = new PlatformKafkaOptions { BootstrapServers = TestKafka.BootstrapServers, TopicPrefix = Prefix, Embedded = TestKafka.Embedded, Partitions = 8 };
        var builder = new InProcessTestClusterBuilder(Silos);
        builder.Options.ServiceId = Prefix; // its own state in the shared Redis
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<IChatClient>(Model);
            silo.Services.AddKeyedSingleton<TimeProvider>(PlatformClock.Key, Clock);
            // Grain state on a real redis-server, so a restarted silo's conversations survive.
            silo.AddAgentPlatform(kafka, stores: new PlatformStoreOptions { Storage = StoreKind.Redis, Redis = TestRedis.ConnectionString });
            silo.Services.Configure<ModelOptions>(o => o.Timeout = TimeSpan.FromMinutes(1));
            silo.Services.Configure<SchedulerOptions>(OneSlot);
            Configure(silo);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public ModelScheduler Scheduler => Cluster.Silos[0].ServiceProvider.GetRequiredService<ModelScheduler>();

    public IClusterClient Client => Cluster.Client;

    public async Task QueuedAsync(WorkClass c, int count) =>
        await Eventually.True(() => Task.FromResult(Scheduler.Snapshot().Classes.Single(x => x.Class == c).Queued == count), $"{count} {c} request(s) wait for the model");

    public async Task<(IConversationGrain Chat, string TurnId)> AskAsync(string tenant, string question)
    {
        var chat = Cluster.Client.GetGrain<IConversationGrain>("tier-" + Guid.NewGuid().ToString("N"));
        await chat.Open(tenant);
        var sent = await chat.Send(question);
        Assert.True(sent.Accepted, sent.Error);
        return (chat, sent.TurnId!);
    }

    public async Task DisposeAsync()
    {
        Model.Open();
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}


public sealed class TierPriorityCluster : TierPipelineCluster;

/// <summary>Who the one model slot goes to, through the real pipeline.</summary>
public sealed class TierPriorityTests(TierPriorityCluster tiers) : IClassFixture<TierPriorityCluster>
{
    [Fact]
    public async Task With_one_model_slot_enterprise_is_answered_before_pro_and_pro_before_free_whatever_the_arrival_order()
    {
        const string First = "I need a new e-bike with a big battery";
        const string Free = "Which e-bike would you suggest for commuting?";
        const string Pro = "What does the Harbor Visa cost?";
        const string Enterprise = "Which electric car do you have?";
        var first = await tiers.AskAsync("velo-corner", First);
        await Eventually.True(() => Task.FromResult(tiers.Model.HasStarted(First)), "the first question holds the slot");
        var free = await tiers.AskAsync("velo-corner", Free);
        await tiers.QueuedAsync(WorkClass.Free, 1);
        var pro = await tiers.AskAsync("harbor-bank", Pro);
        await tiers.QueuedAsync(WorkClass.Pro, 1);
        var enterprise = await tiers.AskAsync("stuttgart-motors", Enterprise);
        await tiers.QueuedAsync(WorkClass.Enterprise, 1);

        for (var started = 2; started <= 4; started++)
        {
            tiers.Model.Release();
            var expected = started;
            await Eventually.True(() => Task.FromResult(tiers.Model.Started.Count == expected), $"call {expected} starts");
        }
        tiers.Model.Release();
        Assert.Equal([First, Enterprise, Pro, Free], tiers.Model.Started.ToArray());
        foreach (var (chat, turn) in new[] { first, free, pro, enterprise })
        {
            var answer = await PipelineCluster.AnswerTo(chat, turn);
            Assert.Equal(LineStatus.Answered, answer.Status);
        }
        var stats = await tiers.Client.GetGrain<ITierGrain>(nameof(Tier.Enterprise)).GetStats();
        Assert.True(stats.Turns >= 1);
        Assert.Equal(5000, stats.Targets.EndToEndMs);
    }
}

public sealed class TierOverloadCluster : TierPipelineCluster;

/// <summary>Overload and limits through the real pipeline: free work is shed politely, over-limit tenants are told when to come back.</summary>
public sealed class TierOverloadTests(TierOverloadCluster tiers) : IClassFixture<TierOverloadCluster>
{
    [Fact]
    public async Task Free_work_waiting_past_its_target_is_shed_with_a_polite_answer_and_an_event_while_paid_work_is_answered()
    {
        const string Holder = "I need a new e-bike with a big battery";
        var holder = await tiers.AskAsync("velo-corner", Holder);
        await Eventually.True(() => Task.FromResult(tiers.Model.HasStarted(Holder)), "the slot is taken");
        var flood = new List<(IConversationGrain Chat, string TurnId)>();
        for (var i = 0; i < 3; i++) flood.Add(await tiers.AskAsync(i % 2 == 0 ? "velo-corner" : "open-assistant", $"Which e-bike would you suggest, option {i}?"));
        await tiers.QueuedAsync(WorkClass.Free, 3);
        var pro = await tiers.AskAsync("harbor-bank", "What does the Harbor Visa cost?");
        await tiers.QueuedAsync(WorkClass.Pro, 1);

        tiers.Clock.Advance(TimeSpan.FromSeconds(21)); // past free's 20 s target; pro waits (its action is Wait)
        foreach (var (chat, turn) in flood)
        {
            await Eventually.True(async () => (await chat.View())!.Lines.Any(l => l.TurnId == turn && l.Role == Speaker.Assistant), "the shed answer arrives");
            var line = await PipelineCluster.AnswerTo(chat, turn);
            Assert.Equal(LineStatus.Throttled, line.Status);
            Assert.Equal(ModelStageGrain.ShedMessage, line.Text);
        }
        var sessions = flood.Select(f => f.Chat.GetPrimaryKeyString()).ToHashSet();
        var shed = TestKafka.ReadTopic(tiers.Prefix + Topics.AgentResponsesThrottled, 8, seen => seen.Count(m => sessions.Contains(System.Text.Encoding.UTF8.GetString(m.Message.Key))) >= 3)
            .Where(m => sessions.Contains(System.Text.Encoding.UTF8.GetString(m.Message.Key))).ToList();
        Assert.All(shed, m => Assert.Equal(ChatEventTypes.ResponseShed, System.Text.Encoding.UTF8.GetString(m.Message.Headers.GetLastBytes("ce_type"))));

        tiers.Model.Open();
        Assert.Equal(LineStatus.Answered, (await PipelineCluster.AnswerTo(pro.Chat, pro.TurnId)).Status);
        Assert.Equal(LineStatus.Answered, (await PipelineCluster.AnswerTo(holder.Chat, holder.TurnId)).Status);
        await Eventually.True(async () => (await tiers.Client.GetGrain<ITierGrain>(nameof(Tier.Free)).GetStats()).Shed == 3, "the free tier counts 3 shed");
    }
}

public sealed class TierQuotaCluster : TierPipelineCluster;

/// <summary>Rate limits per tenant through the real pipeline: over the limit the customer is told when to come back.</summary>
public sealed class TierQuotaTests(TierQuotaCluster tiers) : IClassFixture<TierQuotaCluster>
{
    [Fact]
    public async Task A_tenant_over_its_rate_limit_is_told_when_to_try_again_and_is_admitted_once_the_minute_has_passed()
    {
        tiers.Model.Open();
        var tenant = tiers.Client.GetGrain<ITenantGrain>("harbor-bank");
        var profile = (await tenant.GetProfile())!;
        await tenant.SetProfile(profile with { Limits = new QuotaLimits { RequestsPerMinute = 2 } });
        try
        {
            var (chat, _) = await tiers.AskAsync("harbor-bank", "What does the Harbor Visa cost?");
            var second = await chat.Send("What are the opening hours of the branch?");
            var third = await chat.Send("Can I open a savings account online?");
            var refused = await PipelineCluster.AnswerTo(chat, third.TurnId!);
            Assert.Equal(LineStatus.Throttled, refused.Status);
            Assert.Contains("2 messages a minute", refused.Text);
            Assert.Contains("try again in", refused.Text);
            Assert.Equal(LineStatus.Answered, (await PipelineCluster.AnswerTo(chat, second.TurnId!)).Status);
            Assert.Equal(1, (await tiers.Client.GetGrain<ITenantQuotaGrain>("harbor-bank").Status()).Refused);

            tiers.Clock.Advance(TimeSpan.FromSeconds(61));
            var later = await chat.Send("And for a business account?");
            Assert.Equal(LineStatus.Answered, (await PipelineCluster.AnswerTo(chat, later.TurnId!)).Status);
        }
        finally
        {
            await tenant.SetProfile(profile);
        }
    }
}

public sealed class TierRestartCluster : TierPipelineCluster
{
    protected override short Silos => 2;
}

/// <summary>Requests waiting for the model are on Kafka, not only in a silo's queue: a silo crash and restart loses none.</summary>
public sealed class TierRestartTests(TierRestartCluster tiers) : IClassFixture<TierRestartCluster>
{
    [Fact]
    public async Task Requests_queued_for_the_model_survive_a_silo_crash_and_restart_and_each_is_answered_once()
    {
        var asked = new List<(IConversationGrain Chat, string TurnId)>();
        var tenants = new[] { ("stuttgart-motors", "Which electric car do you have?"), ("harbor-bank", "What does the Harbor Visa cost?"), ("velo-corner", "I need a new e-bike with a big battery") };
        for (var i = 0; i < 12; i++)
        {
            var (tenant, question) = tenants[i % 3];
            asked.Add(await tiers.AskAsync(tenant, question));
        }
        // The model holds every call: requests pile up in the silos' schedulers (grain placement decides which).
        int Queued(InProcessSiloHandle silo) => silo.ServiceProvider.GetRequiredService<ModelScheduler>().Snapshot().Classes.Sum(c => c.Queued + c.InFlight);
        await Eventually.True(() => Task.FromResult(tiers.Cluster.Silos.Sum(Queued) == asked.Count), "all 12 requests wait in the schedulers");

        // Crash the silo holding the most of them, then start a new one. Its pulling agents see the
        // deliveries fail ("the local host is shutting down"): those must stay uncommitted for the next
        // owner, not be dead-lettered as undeliverable (which lost about 1 run in 5 before the fix).
        var victim = tiers.Cluster.Silos.MaxBy(Queued)!;
        Assert.True(Queued(victim) > 0);
        await tiers.Cluster.KillSiloAsync(victim);
        await tiers.Cluster.StartAdditionalSiloAsync();
        await Eventually.True(async () => (await tiers.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Count == 2, "the restarted silo is back");
        tiers.Model.Open();

        foreach (var (chat, turn) in asked)
        {
            try
            {
                await Eventually.True(async () => (await chat.View())!.Lines.Any(l => l.TurnId == turn && l.Role == Speaker.Assistant), $"turn {turn} is answered", TimeSpan.FromSeconds(90));
            }
            catch (TimeoutException ex)
            {
                // Say where the turn stopped: which topics carry it.
                var path = new[] { Topics.UserMessagesRaw, Topics.UserMessagesCleaned, Topics.AgentRequestsEnterprise, Topics.AgentRequestsPro, Topics.AgentRequestsFree,
                    Topics.AgentResponsesRaw, Topics.AgentResponsesFinal, Topics.AgentResponsesThrottled, Topics.AgentResponsesFailed, Topics.DeadLetter };
                var seen = path.Select(t => $"{t}={TestKafka.ReadTopic(tiers.Prefix + t, t == Topics.DeadLetter ? 1 : 8, _ => false, TimeSpan.FromSeconds(2)).Count(m => m.Message.Headers.TryGetLastBytes("ce_subject", out var subject) && System.Text.Encoding.UTF8.GetString(subject) == turn)}");
                throw new TimeoutException($"{ex.Message}; on Kafka: {string.Join(", ", seen)}; started calls {tiers.Model.Started.Count}", ex);
            }
            Assert.Single((await chat.View())!.Lines, l => l.TurnId == turn && l.Role == Speaker.Assistant);
            Assert.Equal(LineStatus.Answered, (await PipelineCluster.AnswerTo(chat, turn)).Status);
        }
    }
}

/// <summary>Two silos in front of one backend of 2 concurrent calls: the limit is the cluster's, not each silo's.</summary>
public sealed class TierClusterLimitCluster : TierPipelineCluster
{
    protected override short Silos => 2;

    protected override void Configure(ISiloBuilder silo)
    {
        silo.Services.Configure<SchedulerOptions>(o => o.Backends = [new BackendOptions { Name = "default", MaxConcurrency = 2, TokensPerMinute = 100_000 }]);
        // Random placement, so that the sessions' model-stage grains (and their calls) land on both silos; the default
        // (resource-optimised) may keep a quiet test cluster's grains on one.
        silo.Services.AddSingleton<PlacementStrategy>(new RandomPlacement());
    }
}

public sealed class TierClusterLimitTests(TierClusterLimitCluster tiers) : IClassFixture<TierClusterLimitCluster>
{
    [Fact]
    public async Task With_two_silos_the_backend_never_sees_more_than_its_max_concurrency_and_capacity_moves_to_where_requests_wait()
    {
        var asked = new List<(IConversationGrain Chat, string TurnId)>();
        for (var i = 0; i < 12; i++) asked.Add(await tiers.AskAsync(i % 2 == 0 ? "stuttgart-motors" : "harbor-bank", i % 2 == 0 ? "Which electric car do you have?" : "What does the Harbor Visa cost?"));
        int Demand(InProcessSiloHandle silo) => silo.ServiceProvider.GetRequiredService<ModelScheduler>().Demand().Sum(d => d.InFlight + d.Queued);
        await Eventually.True(() => Task.FromResult(tiers.Cluster.Silos.Sum(Demand) == asked.Count), "all 12 requests are in the two silos' schedulers");
        Assert.True(tiers.Cluster.Silos.All(s => Demand(s) > 0), "both silos have requests (12 sessions over 8 partitions on 2 silos)");

        // The model holds every call: with 2 slots per silo it would see 4; the cluster grants 2 in all.
        await Eventually.True(() => Task.FromResult(tiers.Model.Started.Count == 2),
            $"two calls run (started: {tiers.Model.Started.Count}; silos: {string.Join(" | ", tiers.Cluster.Silos.Select(s => string.Join(", ", s.ServiceProvider.GetRequiredService<ModelScheduler>().Demand())))})");
        var parts = tiers.Cluster.Silos.Sum(s => s.ServiceProvider.GetRequiredService<ModelScheduler>().Snapshot().Backends.Single().MaxConcurrency);
        Assert.True(parts <= 2, $"the silos' parts add up to {parts}");
        Assert.Equal(2, tiers.Model.Started.Count);

        // As calls finish, the capacity goes wherever requests wait, on either silo, until every turn is answered once.
        for (var done = 1; done <= asked.Count; done++)
        {
            tiers.Model.Release();
            var expected = Math.Min(asked.Count, done + 2);
            await Eventually.True(() => Task.FromResult(tiers.Model.Started.Count >= expected), $"call {expected} starts after {done} finished");
            Assert.True(tiers.Model.Started.Count <= done + 2, $"{tiers.Model.Started.Count} calls started after {done} finished: more than 2 at once");
        }
        foreach (var (chat, turn) in asked)
        {
            await Eventually.True(async () => (await chat.View())!.Lines.Any(l => l.TurnId == turn && l.Role == Speaker.Assistant && l.Status == LineStatus.Answered), $"turn {turn} is answered");
            Assert.Single((await chat.View())!.Lines, l => l.TurnId == turn && l.Role == Speaker.Assistant);
        }
        var view = (await tiers.Client.GetGrain<IModelCapacityGrain>(0).View()).Single(v => v.Backend == "default");
        Assert.Equal(2, view.Limit);
        Assert.Equal(2, view.Parts.Count);
    }

    [Fact]
    public async Task A_silo_that_is_slow_to_report_keeps_its_part_and_only_a_dead_silos_part_is_given_to_the_others()
    {
        // Reports for a backend of its own ("drill"), made for the cluster's two live silos, so that the silos' own
        // reporters (which report "default") do not interfere.
        var capacity = tiers.Client.GetGrain<IModelCapacityGrain>(0);
        var live = tiers.Cluster.Silos.Select(s => s.SiloAddress.ToParsableString()).ToArray();
        async Task<int> ReportAsync(string silo, int enforced, int inFlight, int queued) =>
            (await capacity.Report(silo, [new BackendDemand("drill", 4, 0, enforced, inFlight, queued)])).Single().Concurrency;

        // The first live silo gets busy and the other confirms each smaller part it is told, until the busy one has
        // the whole backend and runs 4 calls with it.
        int busy = 0, quiet = 0;
        for (var round = 0; round < 5 && busy < 4; round++)
        {
            quiet = await ReportAsync(live[1], quiet, 0, 0);
            busy = await ReportAsync(live[0], busy, busy, 8 - busy);
        }
        Assert.Equal(4, busy);
        Assert.Equal(4, await ReportAsync(live[0], 4, 4, 4));

        // Then it goes quiet for minutes (a long pause, a loaded machine) while the other silo gets busy: its part is
        // not given away, because its calls may still be running. (Before, 3 s of silence gave it away.)
        tiers.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(0, await ReportAsync(live[1], 0, 0, 8));
        Assert.Equal(4, (await capacity.View()).Single(v => v.Backend == "drill").Parts[live[0]]);

        // Only a silo the cluster declared dead, or one the membership table does not know and silent for long, is gone.
        Assert.True(ModelCapacityGrain.IsGone(SiloStatus.Dead, TimeSpan.Zero), "a silo declared dead is gone at once");
        Assert.False(ModelCapacityGrain.IsGone(SiloStatus.Active, TimeSpan.FromHours(1)), "a live silo is never gone for silence alone");
        Assert.False(ModelCapacityGrain.IsGone(SiloStatus.None, ModelCapacityGrain.UnknownSiloExpiry / 2), "an unknown silo that reported lately is kept");
        Assert.True(ModelCapacityGrain.IsGone(SiloStatus.None, ModelCapacityGrain.UnknownSiloExpiry * 2), "an unknown silo silent for long is gone");
    }
}

/// <summary>Two backends for pro: a broken primary and a working backup.</summary>
public sealed class TierFailoverCluster : TierPipelineCluster
{
    private int _primaryCalls;

    public int PrimaryCalls => Volatile.Read(ref _primaryCalls);

    protected override void Configure(ISiloBuilder silo)
    {
        silo.Services.AddKeyedSingleton<IChatClient>("primary", new FailingModel(this));
        silo.Services.AddKeyedSingleton<IChatClient>("backup", new CatalogResponder());
        silo.Services.Configure<SchedulerOptions>(o =>
        {
            o.Backends = [new BackendOptions { Name = "default", MaxConcurrency = 2 }, new BackendOptions { Name = "primary", MaxConcurrency = 2 }, new BackendOptions { Name = "backup", MaxConcurrency = 2 }];
            o.Pro.Backends = ["primary", "backup"];
            o.BreakerFailures = 2;
            o.BreakerOpenFor = TimeSpan.FromMinutes(5);
        });
    }

    private void CountPrimaryCall() => Interlocked.Increment(ref _primaryCalls);

    private sealed class FailingModel(TierFailoverCluster owner) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            owner.CountPrimaryCall();
            throw new HttpRequestException("primary endpoint returned 503 Service Unavailable");
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }
}

/// <summary>A backend that keeps failing is taken out of rotation; the tier's requests go to its next backend and customers notice nothing.</summary>
public sealed class TierFailoverTests(TierFailoverCluster tiers) : IClassFixture<TierFailoverCluster>
{
    [Fact]
    public async Task Requests_fail_over_to_the_tiers_next_backend_and_after_repeated_errors_the_broken_one_is_skipped()
    {
        for (var i = 0; i < 4; i++)
        {
            var (chat, turn) = await tiers.AskAsync("harbor-bank", "What does the Harbor Visa cost?");
            var answer = await PipelineCluster.AnswerTo(chat, turn);
            Assert.Equal(LineStatus.Answered, answer.Status);
            Assert.Contains("Harbor Visa", answer.Text);
        }
        // Two failures opened the primary's circuit: the later requests went straight to the backup.
        Assert.Equal(2, tiers.PrimaryCalls);
        var backends = tiers.Scheduler.Snapshot().Backends;
        Assert.Equal(CircuitState.Open, backends.Single(b => b.Name == "primary").Circuit);
        Assert.Equal(CircuitState.Closed, backends.Single(b => b.Name == "backup").Circuit);
        var raw = TestKafka.ReadTopic(tiers.Prefix + Topics.AgentResponsesRaw, 8, seen => seen.Count >= 4);
        Assert.All(raw, m => Assert.Equal("backup", System.Text.Json.JsonSerializer.Deserialize<ChatTurn>(m.Message.Value, global::Streaming.Kafka.Events.CloudEventJson.Options)!.Backend));
    }
}

public sealed class FairUseCluster : TierPipelineCluster;

/// <summary>One visitor opening conversation after conversation cannot use up what a tenant's customers share.</summary>
public sealed class FairUseTests(FairUseCluster tiers) : IClassFixture<FairUseCluster>
{
    [Fact]
    public async Task One_client_is_limited_to_its_share_of_the_tenants_minute_and_every_other_customer_is_still_answered()
    {
        tiers.Model.Open();
        var tenant = tiers.Client.GetGrain<ITenantGrain>("velo-corner");
        var profile = (await tenant.GetProfile())!;
        await tenant.SetProfile(profile with { Limits = new QuotaLimits { RequestsPerMinute = 8 } }); // a browser 3 a minute, an address 4
        try
        {
            // A visitor opens a fresh conversation for every message (the per-conversation limit never applies).
            async Task<ChatLine> AskInNewConversationAsync(string browser, string address)
            {
                var chat = tiers.Client.GetGrain<IConversationGrain>("fair-" + Guid.NewGuid().ToString("N"));
                await chat.Open("velo-corner", browser);
                var sent = await chat.Send("Do you sell bike helmets?", address);
                Assert.True(sent.Accepted, sent.Error);
                return await PipelineCluster.AnswerTo(chat, sent.TurnId!);
            }
            var flood = new List<ChatLine>();
            for (var i = 0; i < 5; i++) flood.Add(await AskInNewConversationAsync("visitor-browser", "203.0.113.9"));
            Assert.Equal([.. Enumerable.Repeat(LineStatus.Answered, 3), LineStatus.Throttled, LineStatus.Throttled], flood.Select(l => l.Status));
            Assert.Contains("other customers get their turn", flood[3].Text);
            Assert.Contains("try again in", flood[3].Text);

            // Clearing cookies helps once: the address has its own, larger share.
            Assert.Equal(LineStatus.Answered, (await AskInNewConversationAsync("visitor-new-cookie", "203.0.113.9")).Status);
            Assert.Equal(LineStatus.Throttled, (await AskInNewConversationAsync("visitor-third-cookie", "203.0.113.9")).Status);

            // Everyone else is still answered: the refused messages used none of the tenant's minute.
            for (var i = 0; i < 4; i++)
                Assert.Equal(LineStatus.Answered, (await AskInNewConversationAsync($"customer-{i}", $"198.51.100.{i + 1}")).Status);
            var usage = await tiers.Client.GetGrain<ITenantQuotaGrain>("velo-corner").Status();
            Assert.Equal((8, 3), (usage.RequestsLastMinute, (int)usage.Refused)); // 3 + 1 + 4 admitted; 3 refused by fair use

            tiers.Clock.Advance(TimeSpan.FromSeconds(61));
            Assert.Equal(LineStatus.Answered, (await AskInNewConversationAsync("visitor-browser", "203.0.113.9")).Status);
        }
        finally
        {
            await tenant.SetProfile(profile);
        }
    }
}

public sealed class TierSlotWaitCluster : TierPipelineCluster;

/// <summary>A turn that gets no model slot is answered with the failure message before its delivery would time out and be dead-lettered.</summary>
public sealed class TierSlotWaitTests(TierSlotWaitCluster tiers) : IClassFixture<TierSlotWaitCluster>
{
    [Fact]
    public async Task A_turn_that_waits_for_a_model_slot_past_the_limit_gets_the_failure_answer_instead_of_being_lost()
    {
        const string First = "I need a new e-bike with a big battery";
        await tiers.AskAsync("velo-corner", First);
        await Eventually.True(() => Task.FromResult(tiers.Model.HasStarted(First)), "the first question holds the only slot");
        var (chat, turn) = await tiers.AskAsync("stuttgart-motors", "Which electric car do you have?");
        await tiers.QueuedAsync(WorkClass.Enterprise, 1); // enterprise waits (never shed) for the slot

        tiers.Clock.Advance(ModelStageGrain.MaxSlotWait - TimeSpan.FromSeconds(5));
        await Task.Yield();
        Assert.Equal(1, tiers.Scheduler.Snapshot().Classes.Single(c => c.Class == WorkClass.Enterprise).Queued); // still waiting, as it should

        tiers.Clock.Advance(TimeSpan.FromSeconds(10));
        var answer = await PipelineCluster.AnswerTo(chat, turn);
        Assert.Equal(LineStatus.Failed, answer.Status);
        Assert.Equal(ModelStageGrain.UnavailableMessage, answer.Text);
        await tiers.QueuedAsync(WorkClass.Enterprise, 0); // and it no longer holds a place in the queue
        Assert.DoesNotContain("Which electric car do you have?", tiers.Model.Started);
    }
}
