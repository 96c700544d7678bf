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

    private InProcessTestCluster NewCluster(PlatformStoreOptions stores)
    {
        var kafka = new PlatformKafkaOptions { BootstrapServers = TestKafka.BootstrapServers, TopicPrefix = _prefix, Embedded = TestKafka.Embedded };
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ServiceId = _serviceId;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<IChatClient>(new ScriptedModel());
            silo.AddAgentPlatform(kafka, stores: stores);
        });
        return builder.Build();
    }

    [Theory]
    [InlineData(StoreKind.Redis)]
    [InlineData(StoreKind.Postgres)]
    public async Task A_policy_edit_a_quota_minute_a_paused_stage_and_a_held_message_survive_a_killed_silo(StoreKind kind)
    {
        var stores = kind == StoreKind.Redis
            ? new PlatformStoreOptions { Storage = StoreKind.Redis, Reminders = StoreKind.Redis, Redis = RedisServer.ConnectionString }
            : new PlatformStoreOptions { Storage = StoreKind.Postgres, Reminders = StoreKind.Postgres, Postgres = await PostgresServer.NewDatabaseAsync() };

        string heldTurn, sessionId;
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

            await first.Client.GetGrain<IControlGrain>(0).PauseStage(Stage.Model.Name, "ops@example.com", "maintenance across a restart");

            sessionId = "s-" + Guid.NewGuid().ToString("N");
            var chat = first.Client.GetGrain<Conversations.IConversationGrain>(sessionId);
            await chat.Open("stuttgart-motors");
            heldTurn = (await chat.Send("this is fucking ridiculous, you stupid bot, where is my GLC?")).TurnId!;
            var review = first.Client.GetGrain<IApprovalQueueGrain>(Teams.Review);
            await Eventually.True(async () => (await review.Pending()).Any(i => i.Turn.TurnId == heldTurn), "the rude message waits for review");
        }
        finally
        {
            foreach (var silo in first.Silos.ToList()) await first.KillSiloAsync(silo);
            await first.DisposeAsync();
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

            var stages = await second.Client.GetGrain<IControlGrain>(0).GetStages();
            Assert.True(stages.Single(s => s.Stage == Stage.Model.Name).Paused, "the model stage is still paused");

            var review = second.Client.GetGrain<IApprovalQueueGrain>(Teams.Review);
            // The queue's SLA reminder is in the reminder table, so its deadline is kept without anyone opening the queue.
            var reminders = second.GetSiloServiceProvider().GetRequiredService<Orleans.IReminderTable>();
            Assert.NotEmpty((await reminders.ReadRows(review.GetGrainId())).Reminders);
            Assert.Contains(await review.Pending(), i => i.Turn.TurnId == heldTurn);
            Assert.True((await review.Approve(heldTurn, "mod@example.com", "Sorry for the wait — your GLC arrives on Friday.")).Applied);
            var chat = second.Client.GetGrain<Conversations.IConversationGrain>(sessionId);
            await Eventually.True(async () => (await PipelineCluster.AnswerTo(chat, heldTurn)).Status == Conversations.LineStatus.Answered, "the moderator's reply reaches the customer");
            Assert.Single((await chat.View())!.Lines, l => l.TurnId == heldTurn && l.Role == Conversations.Speaker.Assistant);
        }
        finally
        {
            await second.StopAllSilosAsync();
            await second.DisposeAsync();
        }
    }
}
