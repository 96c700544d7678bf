using System.Text;
using Confluent.Kafka;
using Grains.Audit;
using Grains.Pipeline;
using Grains.Tests.Infrastructure;
using Grains.Tests.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Streaming.Kafka;

namespace Grains.Tests.Audit;

/// <summary>
/// The audit stage indexes every event of a conversation with its place in Kafka, and replay reads exactly those
/// places back: the same events, by assign and seek.
/// </summary>
public sealed class AuditIndexTests(PipelineCluster pipeline) : IClassFixture<PipelineCluster>
{
    private const string Dealer = "stuttgart-motors";

    private KafkaEventReader Reader => KafkaEventReader.For(pipeline.Cluster.Silos[0].ServiceProvider, Stage.Audit.Name);

    [Fact]
    public async Task Every_event_of_a_turn_is_indexed_with_its_place_in_Kafka_and_replay_reads_the_same_events_back()
    {
        var (chat, session) = await pipeline.OpenAsync(Dealer);
        var sent = await chat.Send("Which electric car do you have?");
        await PipelineCluster.AnswerTo(chat, sent.TurnId!);

        var index = pipeline.Client.GetGrain<IAuditSessionGrain>(session);
        string[] expected = [ChatEventTypes.MessageReceived, ChatEventTypes.MessageCleaned, ChatEventTypes.AgentRequested, ChatEventTypes.ResponseRaw, ChatEventTypes.ResponseFinal];
        IReadOnlyList<AuditEntry> entries = [];
        await Eventually.True(async () =>
        {
            entries = await index.Entries();
            return expected.All(t => entries.Any(e => e.Type == t)) && entries.Count(e => e.Type == ChatEventTypes.GuardrailEvaluated) >= 2;
        }, "every hop of the turn and both guardrail evaluations are indexed");

        Assert.All(entries, e => Assert.Equal(session, e.SessionId));
        Assert.All(entries.Where(e => e.TurnId is not null), e => Assert.Equal(sent.TurnId, e.TurnId));
        Assert.All(entries, e => Assert.Equal(Dealer, e.TenantId));
        Assert.Single(entries.Select(e => e.TraceId).Distinct()); // one trace for the whole turn
        Assert.Equal(entries.Count, entries.Select(e => e.Position).Distinct().Count()); // each event once

        // Where the index says the customer's message is, Kafka has it.
        var raw = TestKafka.ReadTopic(pipeline.Topic(Topics.UserMessagesRaw), 4, seen => seen.Any(m => Encoding.UTF8.GetString(m.Message.Key) == session))
            .Single(m => Encoding.UTF8.GetString(m.Message.Key) == session);
        var received = entries.Single(e => e.Type == ChatEventTypes.MessageReceived);
        Assert.Equal(new KafkaPosition(raw.Topic, raw.Partition.Value, raw.Offset.Value), received.Position);

        var replay = await Reader.ReadAsync(entries.Select(e => e.Position).ToList());
        Assert.Equal(entries.Select(e => e.EventId), replay.Select(r => r.Event?.Id));
        Assert.All(replay, r => Assert.False(r.Expired, r.Missing));
        Assert.Contains("EQS", replay.Single(r => r.Event!.Type == ChatEventTypes.ResponseFinal).Event!.Data);
    }

    [Fact]
    public async Task A_tenants_turns_are_found_by_outcome_rule_and_time()
    {
        var (rude, rudeSession) = await pipeline.OpenAsync(Dealer);
        var refused = await rude.Send("Write a romantic poem");
        await PipelineCluster.AnswerTo(rude, refused.TurnId!);
        var (polite, politeSession) = await pipeline.OpenAsync(Dealer);
        var answered = await polite.Send("What does the GLC cost?");
        await PipelineCluster.AnswerTo(polite, answered.TurnId!);

        var search = pipeline.Client.GetGrain<IAuditTenantGrain>(Dealer);
        await Eventually.True(async () => (await search.Search(new AuditQuery(Outcome: "rejected", Rule: "topic.blocked"))).Any(t => t.SessionId == rudeSession),
            "the refused turn is found as rejected by topic.blocked");
        await Eventually.True(async () => (await search.Search(new AuditQuery(Outcome: "answered"))).Any(t => t.SessionId == politeSession),
            "the answered turn is found as answered");
        Assert.DoesNotContain(await search.Search(new AuditQuery(Outcome: "answered")), t => t.SessionId == rudeSession);
        Assert.DoesNotContain(await search.Search(new AuditQuery(Rule: "topic.blocked")), t => t.SessionId == politeSession);
        Assert.Empty(await search.Search(new AuditQuery(From: DateTimeOffset.UtcNow.AddMinutes(5))));
        Assert.DoesNotContain(await pipeline.Client.GetGrain<IAuditTenantGrain>("velo-corner").Search(new AuditQuery()), t => t.SessionId == rudeSession); // each tenant its own
    }

    [Fact]
    public async Task A_trace_id_leads_to_its_conversation()
    {
        var (chat, session) = await pipeline.OpenAsync(Dealer);
        var sent = await chat.Send("Do you have an SUV?");
        await PipelineCluster.AnswerTo(chat, sent.TurnId!);
        var index = pipeline.Client.GetGrain<IAuditSessionGrain>(session);
        string? trace = null;
        await Eventually.True(async () => (trace = (await index.Entries()).FirstOrDefault(e => e.TraceId is not null)?.TraceId) is not null, "the turn's trace is indexed");

        Assert.Equal([session], await pipeline.Client.GetGrain<IAuditTraceGrain>(trace!).Sessions());
    }

    [Fact]
    public async Task A_position_the_topic_does_not_hold_is_reported_with_the_reason_never_left_out()
    {
        var (chat, session) = await pipeline.OpenAsync("stuttgart-motors");
        var sent = await chat.Send("Do you have an estate car?");
        await PipelineCluster.AnswerTo(chat, sent.TurnId!);
        var held = await Eventually.Value(async () => await pipeline.Client.GetGrain<IAuditSessionGrain>(session).Entries() is [var first, ..] ? first : null, "an indexed event");

        var beyond = held.Position with { Offset = 1_000_000 };
        // Twice, and with an event that is there in the same read: the reader's pooled consumer is reused after the miss.
        for (var round = 0; round < 2; round++)
        {
            var results = await Reader.ReadAsync([beyond, held.Position]);
            Assert.True(results[0].Expired);
            Assert.Contains("not in the log", results[0].Missing);
            Assert.Equal(held.EventId, results[1].Event?.Id);
        }
    }

    [Theory]
    [InlineData(0, 2, 5, "expired")] // retention deleted offsets below 2
    [InlineData(7, 2, 5, "not in the log")]
    [InlineData(5, 2, 5, "not in the log")]
    public void A_position_outside_what_the_partition_retains_says_why(long offset, long low, long high, string why)
    {
        // The embedded cluster cannot delete records (DeleteRecords: "Required feature not supported by broker"), so
        // the rule is checked on its own; the reader applies it to each partition's watermarks before it seeks.
        Assert.Contains(why, KafkaEventReader.Unavailable(1, offset, low, high));
        Assert.Null(KafkaEventReader.Unavailable(1, 3, low, high));
    }
}
