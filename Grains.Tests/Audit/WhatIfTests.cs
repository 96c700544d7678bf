using System.Text.Json;
using Confluent.Kafka;
using Grains.Audit;
using Grains.Guardrails;
using Grains.Pipeline;
using Grains.Tenants;
using Grains.Tests.Infrastructure;
using Grains.Tests.Pipeline;
using Streaming.Kafka.Events;

namespace Grains.Tests.Audit;

/// <summary>
/// A draft policy over recorded conversations: real turns go through the pipeline on the embedded Kafka, then the
/// draft's chains judge the recorded messages and answers again, side by side with the verdicts that decided them.
/// </summary>
public sealed class WhatIfTests(PipelineCluster pipeline) : IClassFixture<PipelineCluster>
{
    private const string Dealer = "stuttgart-motors";

    private PolicyWhatIf WhatIf => PolicyWhatIf.For(pipeline.Cluster.Silos[0].ServiceProvider);

    /// <summary>A conversation with an answered question and a refused request, once both are in the audit index.</summary>
    private async Task<(string Session, string Answered, string Refused)> RecordedConversationAsync()
    {
        var (chat, session) = await pipeline.OpenAsync(Dealer);
        var answered = (await chat.Send("Which electric car do you have?")).TurnId!;
        await PipelineCluster.AnswerTo(chat, answered);
        var refused = (await chat.Send("Write a romantic poem")).TurnId!;
        await PipelineCluster.AnswerTo(chat, refused);
        var index = pipeline.Client.GetGrain<IAuditSessionGrain>(session);
        await Eventually.True(async () => (await index.Entries()).Count(e => e.Type == ChatEventTypes.GuardrailEvaluated) >= 3,
            "both input evaluations and the answer's output evaluation are indexed");
        return (session, answered, refused);
    }

    private async Task<GuardrailPolicy> PolicyAsync() => (await pipeline.Client.GetGrain<ITenantGrain>(Dealer).GetProfile())!.Policy;

    [Fact]
    public async Task A_draft_naming_a_competitor_newly_blocks_a_recorded_answer_and_a_relaxed_draft_newly_allows_a_refused_message()
    {
        var (session, answered, refused) = await RecordedConversationAsync();
        var policy = await PolicyAsync();

        var stricter = await WhatIf.RunAsync(Dealer, policy with { Competitors = [.. policy.Competitors, "EQS"] }, WhatIfScope.Session(session));
        Assert.Equal(2, stricter.Totals.Turns);
        Assert.Equal(3, stricter.Totals.Messages); // two customer messages, one answer (the refused message never reached the model)
        var answer = Assert.Single(stricter.Changes);
        Assert.Equal((answered, "output-guardrail", WhatIfChange.NewlyBlocked), (answer.TurnId, answer.Stage, answer.Change));
        Assert.Equal(VerdictDecision.Allow, answer.Recorded!.Decision);
        Assert.Equal(("brand", "brand.competitor-mention", VerdictDecision.Flag), (answer.Draft.Detector, answer.Draft.Rule, answer.Draft.Decision));
        Assert.Contains("EQS", answer.Text);
        Assert.Equal(1, stricter.Totals.NewlyBlocked);
        Assert.Contains(PolicyWhatIf.JudgeLeftOut, stricter.Notes);

        var relaxed = await WhatIf.RunAsync(Dealer, policy with { AllowedTopics = new Dictionary<string, IReadOnlyList<string>>(), BlockedTopics = new Dictionary<string, IReadOnlyList<string>>() },
            WhatIfScope.Session(session));
        var message = Assert.Single(relaxed.Changes);
        Assert.Equal((refused, "input-guardrail", WhatIfChange.NewlyAllowed), (message.TurnId, message.Stage, message.Change));
        Assert.Equal(("topic", "topic.blocked", VerdictDecision.Block), (message.Recorded!.Detector, message.Recorded.Rule, message.Recorded.Decision));
        Assert.Equal(VerdictDecision.Allow, message.Draft.Decision);
        Assert.Contains("no answer to judge", message.Note);
        Assert.Equal(1, relaxed.Totals.NewlyAllowed);

        // The same conversations are found through the tenant's turns: by time range and as the last turns.
        var range = await WhatIf.RunAsync(Dealer, policy with { Competitors = [.. policy.Competitors, "EQS"] }, WhatIfScope.Between(answer.Time.AddSeconds(-1), null));
        Assert.Contains(range.Changes, m => m.TurnId == answered && m.Change == WhatIfChange.NewlyBlocked);
        var last = await WhatIf.RunAsync(Dealer, policy with { AllowedTopics = new Dictionary<string, IReadOnlyList<string>>(), BlockedTopics = new Dictionary<string, IReadOnlyList<string>>() }, WhatIfScope.Last(2));
        Assert.Contains(last.Changes, m => m.TurnId == refused && m.Change == WhatIfChange.NewlyAllowed);
        Assert.Equal(2, last.Totals.Turns);
    }

    [Fact]
    public async Task The_same_draft_twice_gives_the_same_result_and_nothing_is_written_to_Kafka_or_the_index()
    {
        var (session, _, _) = await RecordedConversationAsync();
        var policy = await PolicyAsync();
        var draft = policy with { Competitors = [.. policy.Competitors, "EQS"], OnTopicThreshold = 0.6 };
        var index = pipeline.Client.GetGrain<IAuditSessionGrain>(session);
        var entriesBefore = (await index.Entries()).Count;
        var offsetsBefore = EndOffsets();

        var first = await WhatIf.RunAsync(Dealer, draft, WhatIfScope.Session(session));
        var second = await WhatIf.RunAsync(Dealer, draft, WhatIfScope.Session(session));

        Assert.NotEmpty(first.Changes);
        Assert.Equal(JsonSerializer.Serialize(first, CloudEventJson.Options), JsonSerializer.Serialize(second, CloudEventJson.Options));
        Assert.Equal(offsetsBefore, EndOffsets());
        Assert.Equal(entriesBefore, (await index.Entries()).Count);
        Assert.Equal(policy.Version, (await PolicyAsync()).Version); // the draft is not saved
    }

    [Fact]
    public void A_scope_is_exactly_one_kind_within_bounds()
    {
        Assert.Null(WhatIfScope.Last(10).Problem());
        Assert.Null(WhatIfScope.Between(DateTimeOffset.UtcNow.AddHours(-1), null).Problem());
        Assert.NotNull(new WhatIfScope().Problem());
        Assert.NotNull(new WhatIfScope(SessionId: "s", LastTurns: 3).Problem());
        Assert.NotNull(WhatIfScope.Last(0).Problem());
        Assert.NotNull(WhatIfScope.Between(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(-1)).Problem());
    }

    /// <summary>The end offset of every partition of the pipeline's topics.</summary>
    private SortedDictionary<string, long> EndOffsets()
    {
        using var consumer = TestKafka.PlainConsumer("whatif-" + Guid.NewGuid().ToString("N"));
        var ends = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var topic in Topics.All)
            for (var partition = 0; partition < 4; partition++)
            {
                try { ends[$"{topic}[{partition}]"] = consumer.QueryWatermarkOffsets(new TopicPartition(pipeline.Topic(topic), partition), TimeSpan.FromSeconds(5)).High.Value; }
                catch (KafkaException) { ends[$"{topic}[{partition}]"] = -1; } // a topic nothing was ever written to
            }
        return ends;
    }
}
