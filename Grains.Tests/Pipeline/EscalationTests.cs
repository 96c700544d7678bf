using System.Text;
using Grains.Approvals;
using Grains.Conversations;
using Grains.Pipeline;
using Grains.Tests.Infrastructure;

namespace Grains.Tests.Pipeline;

/// <summary>Guardrail holds on answers go to the team their rule names, each on its own topic and queue.</summary>
public sealed class EscalationTests(PipelineCluster pipeline) : IClassFixture<PipelineCluster>
{
    [Theory]
    [InlineData("[[discount]]", Teams.Discount, Topics.DiscountQueriesPendingApproval, "discount.above-threshold")]
    [InlineData("[[finance]]", Teams.Finance, Topics.FinanceQueriesPendingApproval, "domain.finance")]
    [InlineData("[[legal]]", Teams.Legal, Topics.LegalQueriesPendingApproval, "domain.legal")]
    public async Task Each_escalation_rule_routes_the_answer_to_its_team(string marker, string team, string topic, string rule)
    {
        var (chat, session) = await pipeline.OpenAsync("stuttgart-motors");
        var sent = await chat.Send($"What about the GLC price? {marker}");
        var held = await PipelineCluster.AnswerTo(chat, sent.TurnId!);
        Assert.Equal(LineStatus.Held, held.Status);

        var escalated = TestKafka.ReadTopic(pipeline.Topic(topic), 4, seen => seen.Any(m => Encoding.UTF8.GetString(m.Message.Key) == session))
            .Single(m => Encoding.UTF8.GetString(m.Message.Key) == session);
        Assert.Equal(rule, System.Text.Json.JsonSerializer.Deserialize<ChatTurn>(escalated.Message.Value, global::Streaming.Kafka.Events.CloudEventJson.Options)!.Verdict!.Rule);

        var queue = pipeline.Client.GetGrain<IApprovalQueueGrain>(team);
        await Eventually.True(async () => (await queue.Pending()).Any(i => i.Turn.TurnId == sent.TurnId), $"the {team} team's queue has the answer");
        Assert.DoesNotContain(await pipeline.Client.GetGrain<IApprovalQueueGrain>(Teams.Review).Pending(), i => i.Turn.TurnId == sent.TurnId);

        Assert.True((await queue.Approve(sent.TurnId!, $"{team}-lead@example.com")).Applied);
        await Eventually.True(async () => (await chat.View())!.Lines.Any(l => l.TurnId == sent.TurnId && l is { Role: Speaker.Assistant, Status: LineStatus.Answered }),
            "the approved answer reaches the customer");
    }
}
