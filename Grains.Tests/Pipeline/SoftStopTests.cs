using System.Text;
using Grains.Control;
using Grains.Conversations;
using Grains.Hosting;
using Grains.Pipeline;
using Grains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Grains.Tests.Pipeline;

/// <summary>Soft stop: an operator pauses a stage on every silo; events wait in Kafka; resume loses and repeats nothing.</summary>
public sealed class SoftStopTests
{
    private static async Task<(InProcessTestCluster Cluster, string Prefix)> StartAsync(int silos)
    {
        var prefix = TestKafka.UniquePrefix();
        var kafka = new PlatformKafkaOptions { BootstrapServers = TestKafka.BootstrapServers, TopicPrefix = prefix, Embedded = TestKafka.Embedded };
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.Options.ServiceId = prefix; // its own state in the shared Redis
        builder.ConfigureSilo((_, silo) =>
        {
            // Grain state on a real redis-server: the pause must outlive a silo.
            silo.AddAgentPlatform(kafka, stores: new PlatformStoreOptions { Storage = StoreKind.Redis, Redis = TestRedis.ConnectionString });
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return (cluster, prefix);
    }

    private static async Task<int> RunningAgents(IClusterClient client, string stage) =>
        (await client.GetGrain<IManagementGrain>(0).SendControlCommandToProvider<PersistentStreamProvider>(stage, (int)PersistentStreamProviderCommand.GetNumberRunningAgents))
        .Cast<int>().Sum();

    private static async Task<List<(IConversationGrain Grain, string Session, string Turn)>> SendTurnsAsync(IClusterClient client, int count,
        string tenant = "stuttgart-motors", string question = "Which electric car do you have?")
    {
        var sent = new List<(IConversationGrain, string, string)>();
        for (var i = 0; i < count; i++)
        {
            var session = $"soft-{i}-{Guid.NewGuid():N}";
            var grain = client.GetGrain<IConversationGrain>(session);
            await grain.Open(tenant);
            var result = await grain.Send(question);
            Assert.True(result.Accepted, result.Error);
            sent.Add((grain, session, result.TurnId!));
        }
        return sent;
    }

    private static async Task AllAnsweredExactlyOnce(List<(IConversationGrain Grain, string Session, string Turn)> turns)
    {
        foreach (var (grain, _, turn) in turns)
        {
            await Eventually.True(async () => (await grain.View())!.Lines.Any(l => l.TurnId == turn && l.Role == Speaker.Assistant), $"turn {turn} is answered after resume");
            Assert.Single((await grain.View())!.Lines, l => l.TurnId == turn && l.Role == Speaker.Assistant);
        }
    }

    [Fact]
    public async Task Pausing_the_model_stage_holds_turns_in_kafka_and_resume_answers_each_once()
    {
        var (cluster, prefix) = await StartAsync(silos: 1);
        await using var _ = cluster;
        var control = cluster.Client.GetGrain<IControlGrain>(0);

        await control.PauseStage(Stage.Model.Name, "ops@example.com", "model maintenance");
        await Eventually.True(async () => await RunningAgents(cluster.Client, Stage.Model.Name) == 0, "the model stage's consumers stopped");
        Assert.True((await control.GetStages()).Single(s => s.Stage == Stage.Model.Name).Paused);

        var turns = await SendTurnsAsync(cluster.Client, 12);
        var sessions = turns.Select(t => t.Session).ToHashSet();
        // The requests reach Kafka (the stages before the pause keep working) and wait there.
        await Eventually.True(() => TestKafka.ReadTopic(prefix + Topics.AgentRequestsEnterprise, 4, seen => seen.Count(m => sessions.Contains(Encoding.UTF8.GetString(m.Message.Key))) >= 12, TimeSpan.FromSeconds(2))
            .Count(m => sessions.Contains(Encoding.UTF8.GetString(m.Message.Key))) >= 12, "all 12 requests are waiting on agent.requests.enterprise");
        Assert.DoesNotContain(TestKafka.ReadTopic(prefix + Topics.AgentResponsesRaw, 4, _ => false, TimeSpan.FromMilliseconds(500)), m => sessions.Contains(Encoding.UTF8.GetString(m.Message.Key)));
        foreach (var (grain, _, turn) in turns)
            Assert.DoesNotContain((await grain.View())!.Lines, l => l.TurnId == turn && l.Role == Speaker.Assistant);

        await control.ResumeStage(Stage.Model.Name, "ops@example.com");
        await AllAnsweredExactlyOnce(turns);
        var history = await control.GetHistory();
        Assert.Equal(["resume", "pause"], history.Where(h => h.Stage == Stage.Model.Name).Select(h => h.Action));
        Assert.All(history, h => Assert.Equal("ops@example.com", h.By));
    }

    [Fact]
    public async Task A_silo_restarted_while_a_stage_is_paused_keeps_it_paused_until_resume()
    {
        var (cluster, _) = await StartAsync(silos: 2);
        await using var __ = cluster;
        var control = cluster.Client.GetGrain<IControlGrain>(0);
        var allQueues = await RunningAgents(cluster.Client, Stage.Model.Name);

        await control.PauseStage(Stage.Model.Name, "ops@example.com", "incident 42");
        await Eventually.True(async () => await RunningAgents(cluster.Client, Stage.Model.Name) == 0, "stopped on both silos");

        await cluster.RestartSiloAsync(cluster.Silos.Last());
        await Eventually.True(async () => (await cluster.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Count == 2, "the restarted silo is back");
        var turns = await SendTurnsAsync(cluster.Client, 8);
        Assert.Equal(0, await RunningAgents(cluster.Client, Stage.Model.Name)); // the new silo did not start the paused stage
        foreach (var (grain, _, turn) in turns)
            Assert.DoesNotContain((await grain.View())!.Lines, l => l.TurnId == turn && l.Role == Speaker.Assistant);

        await control.ResumeStage(Stage.Model.Name, "ops@example.com");
        await AllAnsweredExactlyOnce(turns);
        Assert.Equal(allQueues, await RunningAgents(cluster.Client, Stage.Model.Name));
    }

    [Fact]
    public async Task A_paused_tenant_waits_while_others_are_answered_and_resume_answers_each_once_even_after_a_silo_restart()
    {
        var (cluster, prefix) = await StartAsync(silos: 2);
        await using var __ = cluster;
        var control = cluster.Client.GetGrain<IControlGrain>(0);
        await control.PauseTenant("stuttgart-motors", "ops@example.com", "bad answers reported");

        var paused = await SendTurnsAsync(cluster.Client, 6);
        var others = await SendTurnsAsync(cluster.Client, 3, "velo-corner", "I need a new e-bike with a big battery");
        await AllAnsweredExactlyOnce(others);
        var gate = cluster.Client.GetGrain<ITenantGateGrain>("stuttgart-motors");
        await Eventually.True(async () => (await gate.Status()).Waiting == 6, "the tenant's 6 turns are parked");
        var sessions = paused.Select(t => t.Session).ToHashSet();
        Assert.Equal(6, TestKafka.ReadTopic(prefix + Topics.AgentRequestsParked, 4, seen => seen.Count(m => sessions.Contains(Encoding.UTF8.GetString(m.Message.Key))) >= 6)
            .Count(m => sessions.Contains(Encoding.UTF8.GetString(m.Message.Key))));
        foreach (var (grain, _, turn) in paused)
            Assert.DoesNotContain((await grain.View())!.Lines, l => l.TurnId == turn && l.Role == Speaker.Assistant);

        await cluster.RestartSiloAsync(cluster.Silos.Last());
        await Eventually.True(async () => (await cluster.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Count == 2, "the restarted silo is back");
        Assert.True((await gate.Status()).Paused);

        Assert.Equal(6, await control.ResumeTenant("stuttgart-motors", "ops@example.com"));
        await AllAnsweredExactlyOnce(paused);
        Assert.Equal(0, (await gate.Status()).Waiting);
        Assert.Equal(["resume tenant", "pause tenant"], (await control.GetHistory()).Where(h => h.Stage == HoldScope.Tenant("stuttgart-motors")).Select(h => h.Action));
    }
}
