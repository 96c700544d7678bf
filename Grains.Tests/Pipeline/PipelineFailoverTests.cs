using Grains.Conversations;
using Grains.Hosting;
using Grains.Pipeline;
using Grains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Grains.Tests.Pipeline;

/// <summary>The chat pipeline on two silos, one of which dies while customers are chatting.</summary>
public sealed class PipelineFailoverTests
{
    [Fact]
    public async Task When_a_silo_dies_mid_conversation_every_accepted_message_is_answered_exactly_once()
    {
        var prefix = TestKafka.UniquePrefix();
        var kafka = new PlatformKafkaOptions { BootstrapServers = TestKafka.BootstrapServers, TopicPrefix = prefix, Embedded = TestKafka.Embedded, Partitions = 16 };
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.ServiceId = prefix; // its own state in the shared Redis
        builder.ConfigureSilo((_, silo) =>
        {
            // Grain state on a real redis-server, so the conversations of the silo that dies survive it.
            silo.AddAgentPlatform(kafka, stores: new PlatformStoreOptions { Storage = StoreKind.Redis, Redis = TestRedis.ConnectionString });
        });
        await using var cluster = builder.Build();
        await cluster.DeployAsync();

        var chats = new List<(IConversationGrain Grain, List<string> Turns)>();
        for (var i = 0; i < 24; i++)
        {
            var grain = cluster.Client.GetGrain<IConversationGrain>($"failover-{i}-{Guid.NewGuid():N}");
            await grain.Open(i % 2 == 0 ? "stuttgart-motors" : "velo-corner");
            chats.Add((grain, []));
        }

        async Task SendRound(string question)
        {
            foreach (var (grain, turns) in chats)
            {
                var sent = await grain.Send(question);
                Assert.True(sent.Accepted, sent.Error);
                turns.Add(sent.TurnId!);
            }
        }

        await SendRound("Do you have an electric one with a battery?");
        await cluster.KillSiloAsync(cluster.Silos.Last());
        await SendRound("And what does a service cost?");
        await SendRound("Can I order it for delivery?");

        async Task<List<string>> Unanswered()
        {
            var missing = new List<string>();
            foreach (var (grain, turns) in chats)
            {
                var lines = (await grain.View())!.Lines;
                missing.AddRange(turns.Where(t => !lines.Any(l => l.TurnId == t && l.Role == Speaker.Assistant)));
            }
            return missing;
        }

        try
        {
            await Eventually.True(async () => (await Unanswered()).Count == 0, "every turn of every conversation is answered after the kill", TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException)
        {
            // Say where each missing turn stopped: the last topic that carries it.
            var missing = await Unanswered();
            var path = new[] { Topics.UserMessagesRaw, Topics.UserMessagesCleaned, Topics.AgentRequestsEnterprise, Topics.AgentRequestsFree, Topics.AgentResponsesRaw, Topics.AgentResponsesFinal };
            var seen = path.ToDictionary(t => t, t => TestKafka.ReadTopic(prefix + t, 16, _ => false, TimeSpan.FromSeconds(2))
                .Select(m => System.Text.Encoding.UTF8.GetString(m.Message.Headers.GetLastBytes("ce_subject"))).ToHashSet());
            var stageOf = new Dictionary<string, string> { [Topics.UserMessagesRaw] = "input-guardrail", [Topics.UserMessagesCleaned] = "tier-router", [Topics.AgentRequestsEnterprise] = "agent-execution", [Topics.AgentRequestsFree] = "agent-execution", [Topics.AgentResponsesRaw] = "output-guardrail", [Topics.AgentResponsesFinal] = "delivery" };
            var details = new List<string>();
            foreach (var t in missing.Take(3))
            {
                var topic = path.Last(p => seen[p].Contains(t));
                var m = TestKafka.ReadTopic(prefix + topic, 16, _ => false, TimeSpan.FromSeconds(2)).Last(x => System.Text.Encoding.UTF8.GetString(x.Message.Headers.GetLastBytes("ce_subject")) == t);
                var committed = TestKafka.CommittedOffset(prefix + stageOf[topic], m.Topic, m.Partition.Value);
                var agents = await cluster.Client.GetGrain<IManagementGrain>(0).SendControlCommandToProvider<Orleans.Providers.Streams.Common.PersistentStreamProvider>(stageOf[topic], (int)Orleans.Providers.Streams.Common.PersistentStreamProviderCommand.GetNumberRunningAgents);
                details.Add($"{t} on {m.Topic}[{m.Partition.Value}]@{m.Offset.Value}, group {stageOf[topic]} committed {committed?.ToString() ?? "none"}, agents per silo {string.Join("/", agents)}");
            }
            var dead = TestKafka.ReadTopic(prefix + Topics.DeadLetter, 16, _ => false, TimeSpan.FromSeconds(2))
                .Select(m => System.Text.Encoding.UTF8.GetString(m.Message.Headers.GetLastBytes("dlq_reason"))).ToList();
            throw new TimeoutException($"{missing.Count} turns unanswered: " + string.Join("; ", missing.Take(10).Select(t => t + " last on " + (path.LastOrDefault(p => seen[p].Contains(t)) ?? "nowhere")))
                + $". Dead letters: {dead.Count} ({string.Join(" | ", dead.Distinct().Take(3))}). " + string.Join(" || ", details));
        }
        foreach (var (grain, turns) in chats)
        {
            var lines = (await grain.View())!.Lines;
            foreach (var t in turns)
            {
                Assert.Single(lines, l => l.TurnId == t && l.Role == Speaker.Assistant);
                Assert.Single(lines, l => l.TurnId == t && l.Role == Speaker.Customer);
            }
        }
    }
}
