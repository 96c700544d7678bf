using System.Text;
using Confluent.Kafka;
using Grains.Analytics;
using Grains.Approvals;
using Grains.Audit;
using Grains.Pipeline;
using Grains.Tests.Infrastructure;
using Grains.Tests.Pipeline;

namespace Grains.Tests.Audit;

/// <summary>
/// Rule precision from moderators' decisions: the intervention figures are counted from <c>approvals.events</c> by the
/// audit stage, once per event, and tell per rule how often its held answers were edited or rejected rather than
/// approved unchanged.
/// </summary>
public sealed class RulePrecisionTests(PipelineCluster pipeline) : IClassFixture<PipelineCluster>
{
    private const string Rule = "discount.above-threshold";

    [Fact]
    public async Task A_hold_approved_unchanged_one_edited_and_one_rejected_give_the_rule_two_thirds_precision_counted_once_each_from_the_topic()
    {
        var (chat, session) = await pipeline.OpenAsync("stuttgart-motors");
        var queue = pipeline.Client.GetGrain<IApprovalQueueGrain>(Teams.Discount);
        var turns = new List<string>();
        foreach (var question in new[] { "What about the GLC price? [[discount]]", "And the C-Class price? [[discount]]", "Any deal on the EQS? [[discount]]" })
        {
            var turn = (await chat.Send(question)).TurnId!;
            await Eventually.True(async () => (await queue.Pending()).Any(i => i.Turn.TurnId == turn), $"{turn} waits for the discount team");
            turns.Add(turn);
        }
        Assert.True((await queue.Approve(turns[0], "mod@example.com")).Applied);
        Assert.True((await queue.Approve(turns[1], "mod@example.com", "Good news: I can give you 5% off the C-Class if you order today.")).Applied);
        Assert.True((await queue.Reject(turns[2], "mod@example.com", "no discount on the EQS", "Our EQS prices are as listed; ask us about financing.")).Applied);

        var stats = pipeline.Client.GetGrain<IInterventionStatsGrain>(0);
        RulePrecision? precision = null;
        await Eventually.True(async () =>
        {
            precision = (await stats.Report(["stuttgart-motors"])).Precision.SingleOrDefault(p => p.Rule == Rule);
            return precision is { Held: 3, Reviewed: 3 };
        }, "the three holds and their decisions are counted");
        Assert.Equal((1L, 1L, 1L), (precision!.ApprovedUnchanged, precision.Edited, precision.Rejected));
        Assert.Equal(2.0 / 3, precision.Precision!.Value, 6);

        // A step the topic delivers again (here: written again, as a redelivery would) is counted once.
        var rejected = TestKafka.ReadTopic(pipeline.Topic(Topics.ApprovalEvents), 4,
                seen => seen.Any(m => Id(m) == $"{turns[2]}.{Teams.Discount}.rejected"))
            .Single(m => Id(m) == $"{turns[2]}.{Teams.Discount}.rejected");
        using (var producer = TestKafka.PlainProducer())
            await producer.ProduceAsync(new TopicPartition(rejected.Topic, rejected.Partition), rejected.Message);
        var index = pipeline.Client.GetGrain<IAuditSessionGrain>(session);
        await Eventually.True(async () => (await index.Entries()).Count(e => e.EventId == Id(rejected)) == 2, "the audit stage read the step a second time");
        var again = (await stats.Report(["stuttgart-motors"])).Precision.Single(p => p.Rule == Rule);
        Assert.Equal(1, again.Rejected);
        Assert.Equal(3, again.Reviewed);
    }

    [Fact]
    public async Task Held_customer_messages_and_steps_without_a_person_do_not_count_towards_precision()
    {
        var stats = pipeline.Client.GetGrain<IInterventionStatsGrain>(0);
        var at = DateTimeOffset.UtcNow;
        await stats.Record(new InterventionRecord("precision-only", Tier.Pro, "safety.harassment", Teams.Review, InterventionStep.Held, null, at, "m1.held", HoldKind.Message));
        await stats.Record(new InterventionRecord("precision-only", Tier.Pro, "safety.harassment", Teams.Review, InterventionStep.Approved, 1000, at, "m1.approved", HoldKind.Message));
        await stats.Record(new InterventionRecord("precision-only", Tier.Pro, "domain.finance", Teams.Finance, InterventionStep.Held, null, at, "f1.held"));
        await stats.Record(new InterventionRecord("precision-only", Tier.Pro, "domain.finance", Teams.Finance, InterventionStep.DefaultApplied, 1000, at, "f1.default"));
        await stats.Record(new InterventionRecord("precision-only", Tier.Pro, "domain.finance", Teams.Finance, InterventionStep.DefaultApplied, 1000, at, "f1.default"));

        var report = await stats.Report(["precision-only"]);
        var finance = Assert.Single(report.Precision);
        Assert.Equal(("domain.finance", 1L, 0L), (finance.Rule, finance.Held, finance.Reviewed));
        Assert.Null(finance.Precision);
        Assert.Equal(1, report.Total.DefaultApplied); // the repeated event id counted once
    }

    private static string Id(ConsumeResult<byte[], byte[]> m) => Encoding.UTF8.GetString(m.Message.Headers.GetLastBytes("ce_id"));
}
