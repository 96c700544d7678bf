using Grains.Analytics;
using Grains.Approvals;
using Grains.Conversations;
using Grains.Hosting;
using Grains.Pipeline;
using Grains.Tenants;
using Grains.Tests.Infrastructure;
using Grains.Tests.Pipeline;
using Grains.Tiers;

namespace Grains.Tests.Persistence;

/// <summary>
/// Figures lost (here: wiped) come back from the log: the tier figures from the outcome topics, the intervention
/// figures from approvals.events, with the same counts as before.
/// </summary>
public sealed class FiguresRebuildTests(PipelineCluster pipeline) : IClassFixture<PipelineCluster>
{
    [Fact]
    public async Task Tier_and_intervention_figures_are_rebuilt_from_the_topics_after_they_were_lost()
    {
        var tier = (await pipeline.Client.GetGrain<ITenantGrain>("stuttgart-motors").GetProfile())!.Tier.ToString();
        var (chat, _) = await pipeline.OpenAsync("stuttgart-motors");
        var answered = new List<string>();
        foreach (var question in new[] { "Which electric car do you have?", "Can I book a test drive of the GLC?" })
            answered.Add((await chat.Send(question)).TurnId!);
        var rude = (await chat.Send("this is fucking ridiculous, you stupid bot, where is my GLC?")).TurnId!;
        var review = pipeline.Client.GetGrain<IApprovalQueueGrain>(Teams.Review);
        await Eventually.True(async () => (await review.Pending()).Any(i => i.Turn.TurnId == rude), "the rude message waits for review");
        Assert.True((await review.Approve(rude, "mod@example.com", "Sorry for the wait: your GLC arrives on Friday.")).Applied);
        foreach (var turn in answered.Append(rude))
            await Eventually.True(async () => (await PipelineCluster.AnswerTo(chat, turn)).Status == LineStatus.Answered, $"turn {turn} is answered");

        var tierGrain = pipeline.Client.GetGrain<ITierGrain>(tier);
        var stats = pipeline.Client.GetGrain<IInterventionStatsGrain>(0);
        await Eventually.True(async () => (await tierGrain.GetStats()).Turns >= 3, "the tier counted the three turns");
        await Eventually.True(async () => (await stats.Report()).Total.Approved + (await stats.Report()).Total.Edited >= 1, "the approval is counted");
        var before = await tierGrain.GetStats();
        var interventionsBefore = (await stats.Report()).Total;

        // The figures are lost.
        await tierGrain.Reset();
        await stats.Rebuild([], first: true);
        Assert.Equal(0, (await tierGrain.GetStats()).Turns);
        Assert.Equal(0, (await stats.Report()).Total.Held);

        var kafka = new PlatformKafkaOptions { BootstrapServers = TestKafka.BootstrapServers, TopicPrefix = pipeline.Prefix };
        var result = await FiguresRebuild.RunAsync(pipeline.Client, kafka);
        Assert.Equal(before.Turns, result.Turns);
        var after = await tierGrain.GetStats();
        Assert.Equal(before.Turns, after.Turns);
        Assert.Equal(before.Outcomes.OrderBy(o => o.Key), after.Outcomes.OrderBy(o => o.Key));
        Assert.Equal(before.Tenants.Single(t => t.TenantId == "stuttgart-motors").Turns, after.Tenants.Single(t => t.TenantId == "stuttgart-motors").Turns);
        Assert.True(after.P50Ms > 0, "latencies come back from the events' times");
        var interventionsAfter = (await stats.Report()).Total;
        Assert.Equal(interventionsBefore.Held, interventionsAfter.Held);
        Assert.Equal(interventionsBefore.Decided, interventionsAfter.Decided);
    }
}
