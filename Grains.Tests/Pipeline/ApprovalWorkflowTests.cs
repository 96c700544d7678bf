using System.Text;
using System.Text.Json;
using Grains.Analytics;
using Grains.Approvals;
using Grains.Conversations;
using Grains.Control;
using Grains.Pipeline;
using Grains.Tenants;
using Grains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Streaming.Kafka.Events;

namespace Grains.Tests.Pipeline;

/// <summary>The pipeline with a fake clock for SLA deadlines (Orleans' own timers keep real time) checked every 100 ms.</summary>
public sealed class SlaPipelineCluster : PipelineCluster
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void Configure(ISiloBuilder silo)
    {
        silo.Services.AddKeyedSingleton<TimeProvider>(ApprovalQueueGrain.ClockKey, Clock);
        silo.Services.Configure<ApprovalSlaOptions>(o => o.CheckPeriod = TimeSpan.FromMilliseconds(100));
    }
}

/// <summary>What happens to held items over time and in people's hands: SLA escalation and default, flag and replace, held customer messages, the audit topic and the figures.</summary>
public sealed class ApprovalWorkflowTests(SlaPipelineCluster pipeline) : IClassFixture<SlaPipelineCluster>
{
    private IControlGrain Control => pipeline.Client.GetGrain<IControlGrain>(0);

    [Fact]
    public async Task An_overdue_item_escalates_to_the_leads_and_past_the_final_deadline_the_tenants_fallback_is_sent()
    {
        // velo-corner is free tier: escalate after 15 min, fallback after 60 min (platform defaults).
        await Control.SetHold(HoldScope.Tenant("velo-corner"), true, "ops@example.com", "sla test");
        try
        {
            var (chat, session) = await pipeline.OpenAsync("velo-corner");
            var sent = await chat.Send("I need a new e-bike with a big battery");
            Assert.Equal(LineStatus.Held, (await PipelineCluster.AnswerTo(chat, sent.TurnId!)).Status);
            var review = pipeline.Client.GetGrain<IApprovalQueueGrain>(Teams.Review);
            var leads = pipeline.Client.GetGrain<IApprovalQueueGrain>(Teams.Leads);
            await Eventually.True(async () => (await review.Pending()).Any(i => i.Turn.TurnId == sent.TurnId), "held in the review queue");
            var item = (await review.Pending()).Single(i => i.Turn.TurnId == sent.TurnId);
            Assert.Equal(item.HeldAt + TimeSpan.FromMinutes(15), item.EscalateAt);
            Assert.Equal(item.HeldAt + TimeSpan.FromMinutes(60), item.DefaultAt);

            // 14 minutes: nothing happens yet.
            pipeline.Clock.Advance(TimeSpan.FromMinutes(14));
            var now = pipeline.Clock.GetUtcNow();
            await Eventually.True(async () => await review.DeadlinesCheckedAt() >= now, "a deadline check at +14 min");
            Assert.Contains(await review.Pending(), i => i.Turn.TurnId == sent.TurnId);

            pipeline.Clock.Advance(TimeSpan.FromMinutes(2));
            await Eventually.True(async () => (await leads.Pending()).Any(i => i.Turn.TurnId == sent.TurnId), "escalated to the leads");
            var escalated = await review.Get(sent.TurnId!);
            Assert.Equal("escalated to leads", escalated!.Outcome);
            Assert.Equal("sla", escalated.DecidedBy);
            var late = await review.Approve(sent.TurnId!, "mod@example.com");
            Assert.False(late.Applied);
            Assert.Contains("escalated to leads by sla", late.Message);
            Assert.Equal(LineStatus.Held, (await PipelineCluster.AnswerTo(chat, sent.TurnId!)).Status);

            pipeline.Clock.Advance(TimeSpan.FromMinutes(45));
            await Eventually.True(async () => (await PipelineCluster.AnswerTo(chat, sent.TurnId!)).Status == LineStatus.Replaced, "the fallback reaches the customer");
            var fallback = (await pipeline.Client.GetGrain<ITenantGrain>("velo-corner").GetProfile())!.FallbackAnswer;
            Assert.Equal(fallback, (await PipelineCluster.AnswerTo(chat, sent.TurnId!)).Text);
            Assert.Equal("default: fallback sent", (await leads.Get(sent.TurnId!))!.Outcome);
            Assert.DoesNotContain(await leads.Pending(), i => i.Turn.TurnId == sent.TurnId);

            // Recorded: the audit topic has each step of this turn, and the figures count them.
            var steps = TestKafka.ReadTopic(pipeline.Topic(Topics.ApprovalEvents), 4,
                    seen => seen.Count(m => Encoding.UTF8.GetString(m.Message.Key) == session) >= 3)
                .Where(m => Encoding.UTF8.GetString(m.Message.Key) == session)
                .Select(m => JsonSerializer.Deserialize<ApprovalAudit>(m.Message.Value, CloudEventJson.Options)!.Step).ToList();
            Assert.Equal([InterventionStep.Held, InterventionStep.Escalated, InterventionStep.DefaultApplied], steps);
            await Eventually.True(async () =>
            {
                var report = await pipeline.Client.GetGrain<IInterventionStatsGrain>(0).Report(["velo-corner"]);
                return report.Total is { Held: >= 1, Overdue: >= 1, DefaultApplied: >= 1 } && report.ByTeam.Any(t => t.Key == Teams.Leads && t.DefaultApplied >= 1);
            }, "the intervention figures count the hold, the escalation and the default");
        }
        finally
        {
            await Control.SetHold(HoldScope.Tenant("velo-corner"), false, "ops@example.com", null);
        }
    }

    [Fact]
    public async Task Flag_and_replace_sends_the_fallback_at_once_and_the_approved_edit_later_as_a_correction_with_its_diff()
    {
        var tenant = pipeline.Client.GetGrain<ITenantGrain>("stuttgart-motors");
        var profile = (await tenant.GetProfile())!;
        Assert.True((await tenant.UpdatePolicy(profile.Policy with { FlagAndReplace = true }, "admin@example.com")).Accepted);

        var (chat, _) = await pipeline.OpenAsync("stuttgart-motors");
        var sent = await chat.Send("What about the GLC price? [[discount]]");
        var first = await PipelineCluster.AnswerTo(chat, sent.TurnId!);
        Assert.Equal(LineStatus.Replaced, first.Status);
        Assert.Equal(profile.FallbackAnswer, first.Text);

        var queue = pipeline.Client.GetGrain<IApprovalQueueGrain>(Teams.Discount);
        await Eventually.True(async () => (await queue.Pending()).Any(i => i.Turn.TurnId == sent.TurnId), "the answer waits for the discount team");
        var item = (await queue.Pending()).Single(i => i.Turn.TurnId == sent.TurnId);
        Assert.Equal(HoldKind.Correction, item.Kind);
        Assert.Contains(item.Turn.Concerns, v => v.Rule == "discount.above-threshold");

        var decision = await queue.Approve(sent.TurnId!, "discount-lead@example.com", "Good news: I can give you 5% off the GLC if you order today.");
        Assert.True(decision.Applied);
        await Eventually.True(async () => (await chat.View())!.Lines.Any(l => l.TurnId == sent.TurnId + ":correction"), "the correction arrives in the same chat");
        var lines = (await chat.View())!.Lines;
        Assert.Equal("Good news: I can give you 5% off the GLC if you order today.", lines.Single(l => l.TurnId == sent.TurnId + ":correction").Text);
        Assert.Equal(profile.FallbackAnswer, lines.Single(l => l.TurnId == sent.TurnId && l.Role == Speaker.Assistant).Text);

        var record = (await queue.Get(sent.TurnId!))!;
        Assert.Equal("edited", record.Outcome);
        Assert.Contains(record.Diff, d => d is { Kind: DiffKind.Removed, Text: "15%" });
        Assert.Contains(record.Diff, d => d is { Kind: DiffKind.Added, Text: "5%" });
        await tenant.UpdatePolicy(profile.Policy, "admin@example.com");
    }

    [Fact]
    public async Task A_held_customer_message_waits_for_review_and_a_moderator_replies_to_it_or_lets_it_through()
    {
        var review = pipeline.Client.GetGrain<IApprovalQueueGrain>(Teams.Review);
        var (chat, _) = await pipeline.OpenAsync("stuttgart-motors");

        var rude = await chat.Send("this is fucking ridiculous, you stupid bot, where is my GLC?");
        Assert.Equal(LineStatus.Held, (await PipelineCluster.AnswerTo(chat, rude.TurnId!)).Status);
        await Eventually.True(async () => (await review.Pending()).Any(i => i.Turn.TurnId == rude.TurnId), "the message waits in the review queue");
        var item = (await review.Pending()).Single(i => i.Turn.TurnId == rude.TurnId);
        Assert.Equal(HoldKind.Message, item.Kind);
        Assert.Null(item.Turn.Answer);
        Assert.Contains(item.Turn.Concerns, v => v is { Detector: "safety", Rule: "safety.harassment" });

        // A person answers it themselves…
        Assert.True((await review.Approve(rude.TurnId!, "mod@example.com", "Sorry for the wait — your GLC arrives on Friday.")).Applied);
        await Eventually.True(async () => (await PipelineCluster.AnswerTo(chat, rude.TurnId!)).Status == LineStatus.Answered, "the moderator's reply arrives");
        Assert.Equal("Sorry for the wait — your GLC arrives on Friday.", (await PipelineCluster.AnswerTo(chat, rude.TurnId!)).Text);

        // …or lets it through to the assistant, which then answers as usual.
        var second = await chat.Send("this is fucking ridiculous, you stupid bot, which SUV do you have?");
        await Eventually.True(async () => (await review.Pending()).Any(i => i.Turn.TurnId == second.TurnId), "the second message waits");
        var released = await review.Approve(second.TurnId!, "mod@example.com");
        Assert.Equal("released", released.Outcome);
        await Eventually.True(async () => (await PipelineCluster.AnswerTo(chat, second.TurnId!)).Status == LineStatus.Answered, "the assistant answers the released message");
        Assert.Equal(LineStatus.Answered, (await chat.View())!.Lines.Single(l => l.TurnId == second.TurnId && l.Role == Speaker.Customer).Status);
    }
}
