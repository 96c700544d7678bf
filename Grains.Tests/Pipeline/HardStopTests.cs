using System.Text;
using Confluent.Kafka;
using Grains.Approvals;
using Grains.Control;
using Grains.Conversations;
using Grains.Pipeline;
using Grains.Tenants;
using Grains.Tests.Infrastructure;

namespace Grains.Tests.Pipeline;

/// <summary>Hard stop: every answer in a scope waits for a person, and each decision applies exactly once.</summary>
public sealed class HardStopTests(PipelineCluster pipeline) : IClassFixture<PipelineCluster>
{
    private async Task<string> NewTenantAsync()
    {
        // A tenant of its own, so the hold scope touches no other test.
        var tenantId = "held-" + Guid.NewGuid().ToString("N")[..8];
        await pipeline.Client.GetGrain<ITenantDirectoryGrain>(0).Register(DemoTenants.StuttgartMotors with { TenantId = tenantId });
        return tenantId;
    }

    private async Task<(IConversationGrain Chat, string TurnId)> AskAsync(string tenantId, string question = "Which electric car do you have?")
    {
        var chat = pipeline.Client.GetGrain<IConversationGrain>("s-" + Guid.NewGuid().ToString("N"));
        await chat.Open(tenantId);
        var sent = await chat.Send(question);
        Assert.True(sent.Accepted, sent.Error);
        return (chat, sent.TurnId!);
    }

    [Fact]
    public async Task A_held_tenant_gets_every_answer_reviewed_and_approval_delivers_it()
    {
        var tenantId = await NewTenantAsync();
        var control = pipeline.Client.GetGrain<IControlGrain>(0);
        var queue = pipeline.Client.GetGrain<IApprovalQueueGrain>(Teams.Review);
        await control.SetHold(HoldScope.Tenant(tenantId), on: true, "ops@example.com", "new model rollout");

        var asked = new List<(IConversationGrain Chat, string TurnId)>();
        for (var i = 0; i < 3; i++) asked.Add(await AskAsync(tenantId));
        foreach (var (chat, turn) in asked)
        {
            var held = await PipelineCluster.AnswerTo(chat, turn);
            Assert.Equal(LineStatus.Held, held.Status);
            Assert.Contains("reviewing", held.Text);
        }
        var pending = (await queue.Pending()).Where(i => i.Turn.TenantId == tenantId).ToList();
        Assert.Equal(asked.Select(a => a.TurnId).Order(), pending.Select(p => p.Turn.TurnId).Order());
        Assert.All(pending, p => Assert.Contains("EQS", p.Turn.Answer)); // the model's answer waits with the item

        // Another tenant is not held.
        var (otherChat, otherTurn) = await AskAsync("stuttgart-motors");
        Assert.Equal(LineStatus.Answered, (await PipelineCluster.AnswerTo(otherChat, otherTurn)).Status);

        foreach (var (_, turn) in asked) Assert.True((await queue.Approve(turn, "mod@example.com")).Applied);
        foreach (var (chat, turn) in asked)
        {
            await Eventually.True(async () => (await chat.View())!.Lines.Any(l => l.TurnId == turn && l is { Role: Speaker.Assistant, Status: LineStatus.Answered }), "the approved answer is delivered");
            var lines = (await chat.View())!.Lines;
            var answer = Assert.Single(lines, l => l.TurnId == turn && l.Role == Speaker.Assistant);
            Assert.Contains("EQS", answer.Text);
            Assert.Equal("Reviewed by our team.", answer.Note);
        }

        // Released: the next answer goes straight out.
        await control.SetHold(HoldScope.Tenant(tenantId), on: false, "ops@example.com", null);
        var (chat2, turn2) = await AskAsync(tenantId);
        Assert.Equal(LineStatus.Answered, (await PipelineCluster.AnswerTo(chat2, turn2)).Status);
    }

    [Fact]
    public async Task Concurrent_approvals_apply_once_and_the_others_are_told_who_decided()
    {
        var tenantId = await NewTenantAsync();
        var control = pipeline.Client.GetGrain<IControlGrain>(0);
        var queue = pipeline.Client.GetGrain<IApprovalQueueGrain>(Teams.Review);
        await control.SetHold(HoldScope.Tenant(tenantId), on: true, "ops@example.com", null);
        var (chat, turn) = await AskAsync(tenantId, "Tell me about the GLC please");
        await PipelineCluster.AnswerTo(chat, turn);
        await Eventually.True(async () => (await queue.Pending()).Any(i => i.Turn.TurnId == turn), "the item is queued");

        var decisions = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            i % 2 == 0 ? queue.Approve(turn, $"mod-{i}", i == 4 ? "Edited: the GLC is our family SUV." : null)
                       : queue.Reject(turn, $"mod-{i}", "off brand", "Please ask our showroom.")));
        var winner = Assert.Single(decisions, d => d.Applied);
        Assert.All(decisions.Where(d => !d.Applied), d =>
        {
            Assert.Equal(winner.DecidedBy, d.DecidedBy);
            Assert.Contains($"by {winner.DecidedBy}", d.Message);
        });
        Assert.DoesNotContain(await queue.Pending(), i => i.Turn.TurnId == turn);

        // Replay the decision event as a redelivery would: the customer still gets one answer.
        var topic = winner.Outcome == "approved" ? Topics.AgentResponsesApproved : Topics.AgentResponsesRejected;
        var decision = TestKafka.ReadTopic(pipeline.Topic(topic), 4, seen => seen.Any(m => Encoding.UTF8.GetString(m.Message.Headers.GetLastBytes("ce_subject")) == turn))
            .Single(m => Encoding.UTF8.GetString(m.Message.Headers.GetLastBytes("ce_subject")) == turn);
        using (var producer = TestKafka.PlainProducer())
            await producer.ProduceAsync(new TopicPartition(decision.Topic, decision.Partition), decision.Message);
        // A marker decided the same way lands on the same topic and partition (same conversation key),
        // after the replay: once it is applied, the replayed decision has been consumed too.
        var marker = (await chat.Send("And the C-Class?")).TurnId!;
        await Eventually.True(async () => (await queue.Pending()).Any(i => i.Turn.TurnId == marker), "the marker is held");
        var markerDecision = winner.Outcome == "approved"
            ? await queue.Approve(marker, "mod-marker")
            : await queue.Reject(marker, "mod-marker", "marker", "Marker replacement.");
        Assert.True(markerDecision.Applied);
        await Eventually.True(async () => (await chat.View())!.Lines.Any(l => l.TurnId == marker && l.Role == Speaker.Assistant && l.Status != LineStatus.Held),
            "the marker's decision is applied");
        Assert.Single((await chat.View())!.Lines, l => l.TurnId == turn && l.Role == Speaker.Assistant);
    }
}
