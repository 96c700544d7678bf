using Grains.Approvals;
using Grains.Control;
using Grains.Hosting;
using Grains.Pipeline;
using Grains.Tenants;
using Grains.Tests.Infrastructure;
using Grains.Tests.Pipeline;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Grains.Tests.Persistence;

/// <summary>
/// What people did survives the silo that held it: the silo is killed (no graceful
/// shutdown) and a new one, of the same service, finds the policy edit, the quota minute, the paused stage and the
/// held message. On a real redis-server and a real PostgreSQL (schema from the project).
/// </summary>
public sealed class DurableStateTests
{
    private readonly string _serviceId = "durable-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _prefix = TestKafka.UniquePrefix();

    private InProcessTestCluster NewCluster(PlatformStoreOptions stores, Action<IServiceCollection>? configure = null)
    {
        var kafka = new PlatformKafkaOptions { BootstrapServers = TestKafka.BootstrapServers, TopicPrefix = _prefix, Embedded = TestKafka.Embedded };
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ServiceId = _serviceId;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<IChatClient>(new ScriptedModel());
            silo.AddAgentPlatform(kafka, stores: stores);
            configure?.Invoke(silo.Services);
        });
        return builder.Build();
    }

    [Theory]
    [InlineData(StoreKind.Redis)]
    [InlineData(StoreKind.Postgres)]
    public async Task A_policy_edit_a_quota_minute_a_paused_stage_and_a_held_message_survive_a_killed_silo(StoreKind kind)
    {
        var stores = await StoresAsync(kind);

        string heldTurn, sessionId, parkedTurn, parkedSession, waitingTurn, waitingSession;
        int policyVersion;
        var first = NewCluster(stores);
        await first.DeployAsync();
        try
        {
            var tenant = first.Client.GetGrain<ITenantGrain>("stuttgart-motors");
            var profile = (await tenant.GetProfile())!;
            var edit = await tenant.UpdatePolicy(profile.Policy with { Competitors = [.. profile.Policy.Competitors, "Durable Motors"] }, "admin@example.com");
            Assert.True(edit.Accepted);
            policyVersion = edit.Version;

            var quota = first.Client.GetGrain<Grains.Scheduling.ITenantQuotaGrain>("velo-corner");
            foreach (var turn in new[] { "q-1", "q-2", "q-3" }) Assert.True((await quota.Admit(turn, 100)).Allowed);

            var control = first.Client.GetGrain<IControlGrain>(0);
            await control.PauseStage(Stage.Model.Name, "ops@example.com", "maintenance across a restart");
            await control.PauseTenant("velo-corner", "ops@example.com", "bad answers reported");
            (waitingSession, waitingTurn) = await SendAsync(first.Client, "stuttgart-motors", "Which electric car do you have?");
            (parkedSession, parkedTurn) = await SendAsync(first.Client, "velo-corner", "I need a new e-bike with a big battery");
            await Eventually.True(async () => (await first.Client.GetGrain<ITenantGateGrain>("velo-corner").Status()).Waiting == 1, "the paused tenant's turn is parked");

            (sessionId, heldTurn) = await SendAsync(first.Client, "stuttgart-motors", "this is fucking ridiculous, you stupid bot, where is my GLC?");
            var review = first.Client.GetGrain<IApprovalQueueGrain>(Teams.Review);
            await Eventually.True(async () => (await review.Pending()).Any(i => i.Turn.TurnId == heldTurn), "the rude message waits for review");
        }
        finally
        {
            await KillAsync(first);
        }

        var second = NewCluster(stores);
        await second.DeployAsync();
        try
        {
            var profile = (await second.Client.GetGrain<ITenantGrain>("stuttgart-motors").GetProfile())!;
            Assert.Equal(policyVersion, profile.Policy.Version);
            Assert.Contains("Durable Motors", profile.Policy.Competitors);

            // The quota minute is still counted, and a redelivered turn is still recognised.
            var quota = second.Client.GetGrain<Grains.Scheduling.ITenantQuotaGrain>("velo-corner");
            Assert.Equal(3, (await quota.Status()).RequestsLastMinute);
            Assert.True((await quota.Admit("q-2", 100)).Allowed);
            Assert.Equal(3, (await quota.Status()).RequestsLastMinute);

            var control = second.Client.GetGrain<IControlGrain>(0);
            var stages = await control.GetStages();
            Assert.True(stages.Single(s => s.Stage == Stage.Model.Name).Paused, "the model stage is still paused");
            var gate = second.Client.GetGrain<ITenantGateGrain>("velo-corner");
            Assert.True((await gate.Status()).Paused, "the tenant is still paused");
            Assert.Equal(1, (await gate.Status()).Waiting);

            // Resume both: the turn that waited in Kafka for the model and the parked one are answered, each once.
            await control.ResumeStage(Stage.Model.Name, "ops@example.com");
            await AnsweredOnce(second.Client, waitingSession, waitingTurn);
            Assert.Equal(1, await control.ResumeTenant("velo-corner", "ops@example.com"));
            await AnsweredOnce(second.Client, parkedSession, parkedTurn);

            var review = second.Client.GetGrain<IApprovalQueueGrain>(Teams.Review);
            // The queue's SLA reminder is in the reminder table, so its deadline is kept without anyone opening the queue.
            var reminders = second.GetSiloServiceProvider().GetRequiredService<Orleans.IReminderTable>();
            Assert.NotEmpty((await reminders.ReadRows(review.GetGrainId())).Reminders);
            Assert.Contains(await review.Pending(), i => i.Turn.TurnId == heldTurn);
            Assert.True((await review.Approve(heldTurn, "mod@example.com", "Sorry for the wait — your GLC arrives on Friday.")).Applied);
            await AnsweredOnce(second.Client, sessionId, heldTurn);
        }
        finally
        {
            await StopAsync(second);
        }
    }

    [Theory]
    [InlineData(StoreKind.Redis)]
    [InlineData(StoreKind.Postgres)]
    public async Task An_approval_deadline_fires_after_the_silo_is_killed_without_anyone_opening_the_queue(StoreKind kind)
    {
        var stores = await StoresAsync(kind);
        // Deadlines of seconds, and a reminder that wakes the queue every few seconds instead of every minute.
        void ShortSla(IServiceCollection services)
        {
            services.Configure<ApprovalSlaOptions>(o =>
            {
                o.CheckPeriod = TimeSpan.FromSeconds(1);
                o.ReminderPeriod = TimeSpan.FromSeconds(2);
                o.Rules = [];
                o.Default = new ApprovalSlaRule { EscalateAfter = TimeSpan.FromSeconds(30), DefaultAfter = TimeSpan.FromSeconds(4) };
            });
            services.Configure<Orleans.Hosting.ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
        }

        string sessionId, heldTurn;
        var first = NewCluster(stores, ShortSla);
        await first.DeployAsync();
        try
        {
            (sessionId, heldTurn) = await SendAsync(first.Client, "stuttgart-motors", "this is fucking ridiculous, you stupid bot, where is my GLC?");
            var review = first.Client.GetGrain<IApprovalQueueGrain>(Teams.Review);
            await Eventually.True(async () => (await review.Pending()).Any(i => i.Turn.TurnId == heldTurn), "the rude message waits for review");
        }
        finally
        {
            await KillAsync(first);
        }

        // Nobody opens the queue: only its reminder can wake it, and the safe default reaches the customer once.
        var second = NewCluster(stores, ShortSla);
        await second.DeployAsync();
        try
        {
            var chat = second.Client.GetGrain<Conversations.IConversationGrain>(sessionId);
            await Eventually.True(async () => (await PipelineCluster.AnswerTo(chat, heldTurn)).Status == Conversations.LineStatus.Replaced,
                "the SLA default (the fallback) reaches the customer after the restart", TimeSpan.FromSeconds(60));
            Assert.Single((await chat.View())!.Lines, l => l.TurnId == heldTurn && l.Role == Conversations.Speaker.Assistant);
            var profile = (await second.Client.GetGrain<ITenantGrain>("stuttgart-motors").GetProfile())!;
            Assert.Equal(profile.FallbackAnswer, (await PipelineCluster.AnswerTo(chat, heldTurn)).Text);
        }
        finally
        {
            await StopAsync(second);
        }
    }

    [Theory]
    [InlineData(StoreKind.Redis)]
    [InlineData(StoreKind.Postgres)]
    public async Task Tier_figures_come_back_after_a_killed_silo(StoreKind kind)
    {
        var stores = await StoresAsync(kind);
        string tier;
        long turns;
        var first = NewCluster(stores);
        await first.DeployAsync();
        try
        {
            tier = (await first.Client.GetGrain<ITenantGrain>("stuttgart-motors").GetProfile())!.Tier.ToString();
            var (session, turn) = await SendAsync(first.Client, "stuttgart-motors", "Which electric car do you have?");
            await AnsweredOnce(first.Client, session, turn);
            var figures = first.Client.GetGrain<Tiers.ITierGrain>(tier);
            await Eventually.True(async () => (await figures.GetStats()).Turns >= 1, "the tier counted the turn");
            turns = (await figures.GetStats()).Turns;
            // Written every few seconds, not per turn: wait until the store has it, then kill.
            var storage = first.GetSiloServiceProvider().GetRequiredKeyedService<Orleans.Storage.IGrainStorage>(GrainStores.Figures);
            await Eventually.True(async () =>
            {
                var stored = new Orleans.GrainState<Tiers.TierFiguresState>();
                await storage.ReadStateAsync("tier", figures.GetGrainId(), stored);
                return stored.State?.Outcomes.Values.Sum() == turns;
            }, "the tier figures are in the store", TimeSpan.FromSeconds(30));
        }
        finally
        {
            await KillAsync(first);
        }

        var second = NewCluster(stores);
        await second.DeployAsync();
        try
        {
            var stats = await second.Client.GetGrain<Tiers.ITierGrain>(tier).GetStats();
            Assert.Equal(turns, stats.Turns);
            Assert.True(stats.P50Ms > 0, "the latency histogram came back");
            Assert.Contains(stats.Tenants, t => t.TenantId == "stuttgart-motors" && t.Turns >= 1);
        }
        finally
        {
            await StopAsync(second);
        }
    }

    /// <summary>Grain state and reminders in the store under test (clustering stays the test cluster's).</summary>
    private static async Task<PlatformStoreOptions> StoresAsync(StoreKind kind) => kind == StoreKind.Redis
        ? new PlatformStoreOptions { Storage = StoreKind.Redis, Reminders = StoreKind.Redis, Redis = TestRedis.ConnectionString }
        : new PlatformStoreOptions { Storage = StoreKind.Postgres, Reminders = StoreKind.Postgres, Postgres = await TestPostgres.NewDatabaseAsync() };

    /// <summary>No graceful shutdown: nothing is flushed or handed over.</summary>
    private static async Task KillAsync(InProcessTestCluster cluster)
    {
        foreach (var silo in cluster.Silos.ToList()) await cluster.KillSiloAsync(silo);
        await cluster.DisposeAsync();
    }

    private static async Task StopAsync(InProcessTestCluster cluster)
    {
        await cluster.StopAllSilosAsync();
        await cluster.DisposeAsync();
    }

    private static async Task<(string Session, string Turn)> SendAsync(IClusterClient client, string tenant, string text)
    {
        var session = "s-" + Guid.NewGuid().ToString("N");
        var chat = client.GetGrain<Conversations.IConversationGrain>(session);
        await chat.Open(tenant);
        var sent = await chat.Send(text);
        Assert.True(sent.Accepted, sent.Error);
        return (session, sent.TurnId!);
    }

    private static async Task AnsweredOnce(IClusterClient client, string session, string turn)
    {
        var chat = client.GetGrain<Conversations.IConversationGrain>(session);
        await Eventually.True(async () => (await PipelineCluster.AnswerTo(chat, turn)).Status == Conversations.LineStatus.Answered, $"turn {turn} is answered");
        Assert.Single((await chat.View())!.Lines, l => l.TurnId == turn && l.Role == Conversations.Speaker.Assistant);
    }
}
