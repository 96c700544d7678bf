using Grains.Conversations;
using Grains.Hosting;
using Grains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
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
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddAgentPlatform(kafka);
            foreach (var store in new[] { "conversations", "tenants" })
                silo.Services.AddKeyedSingleton<IGrainStorage>(store, (sp, _) => ActivatorUtilities.CreateInstance<SharedGrainStorage>(sp));
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

        foreach (var (grain, turns) in chats)
        {
            await Eventually.True(async () =>
            {
                var lines = (await grain.View())!.Lines;
                return turns.All(t => lines.Any(l => l.TurnId == t && l.Role == Speaker.Assistant));
            }, "every turn of every conversation is answered after the kill", TimeSpan.FromSeconds(90));
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
