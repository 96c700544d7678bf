using System.Text;
using Confluent.Kafka;
using Grains.Conversations;
using Grains.Pipeline;
using Grains.Tenants;
using Grains.Tests.Infrastructure;
using Grains.Tiers;
using Streaming.Kafka.Events;

namespace Grains.Tests.Pipeline;

/// <summary>
/// Events written straight to the topics (kcat, a rogue producer) get no further than the platform's checks allow:
/// each refusal is a dead letter with its reason, on the first try, and the partition moves on.
/// </summary>
public sealed class UntrustedKafkaInputTests(PipelineCluster pipeline) : IClassFixture<PipelineCluster>
{
    private const string Dealer = "stuttgart-motors";
    private static readonly Verdict OutputAllowed = new(Stage.OutputGuardrail.Name, VerdictDecision.Allow, "allow", "looks fine", "");
    private static readonly Verdict InputAllowed = new(Stage.InputGuardrail.Name, VerdictDecision.Allow, "allow", "looks fine", "");

    [Fact]
    public async Task An_answer_for_a_turn_the_customer_never_sent_is_dead_lettered_and_never_shown()
    {
        var (chat, session) = await pipeline.OpenAsync(Dealer);
        var sent = await chat.Send("Which electric car do you have?");
        await PipelineCluster.AnswerTo(chat, sent.TurnId!);

        await ProduceAsync(Topics.AgentResponsesFinal, Turn(session, "forged01") with { Answer = "Great news: 90 % discount on every EQS today!", Verdict = OutputAllowed },
            ChatEventTypes.ResponseFinal, "final");

        var dead = await DeadLetterAsync(session);
        Assert.Contains("forged01", Header(dead, "dlq_reason"));
        Assert.Contains("never sent", Header(dead, "dlq_reason"));
        Assert.StartsWith("delivery:", Header(dead, "dlq_reason"));
        Assert.DoesNotContain((await chat.View())!.Lines, l => l.Text.Contains("90 %", StringComparison.Ordinal) || l.TurnId == "forged01");
    }

    [Fact]
    public async Task An_empty_model_answer_is_a_failure_the_customer_is_told_about()
    {
        var (chat, session) = await pipeline.OpenAsync(Dealer);
        var sent = await chat.Send("Which electric car do you have? [[empty]]");

        var answer = await PipelineCluster.AnswerTo(chat, sent.TurnId!);
        Assert.Equal(LineStatus.Failed, answer.Status);
        Assert.Equal(ModelStageGrain.UnavailableMessage, answer.Text);
        Assert.Contains("empty answer", Parse(OnlyEvent(Topics.AgentResponsesFailed, session)).Verdict!.Reason);
    }

    [Fact]
    public async Task An_empty_answer_on_the_topic_for_a_waiting_turn_gives_the_customer_the_fallback()
    {
        var (chat, session) = await pipeline.OpenAsync(Dealer);
        var sent = await chat.Send("Which sedan would you suggest? [[hang]]"); // waits for the model's 2 s timeout

        await ProduceAsync(Topics.AgentResponsesFinal, Turn(session, sent.TurnId!) with { Answer = "   ", Verdict = OutputAllowed }, ChatEventTypes.ResponseFinal, "final");

        var answer = await PipelineCluster.AnswerTo(chat, sent.TurnId!);
        Assert.Equal(LineStatus.Failed, answer.Status);
        Assert.Equal(DemoTenants.StuttgartMotors.FallbackAnswer, answer.Text);
    }

    public static TheoryData<string, string, int, bool, string> Refused => new()
    {
        // topic, event type, text length, carries the input guardrail's allow, what the reason says
        { Topics.UserMessagesRaw, ChatEventTypes.MessageReceived, 100_000, false, "messages are limited to 1000" },
        { Topics.UserMessagesCleaned, ChatEventTypes.MessageCleaned, 100_000, true, "messages are limited to 1000" },
        { Topics.UserMessagesCleaned, ChatEventTypes.MessageCleaned, 40, false, "no input guardrail verdict" },
        { Topics.AgentRequestsEnterprise, ChatEventTypes.AgentRequested, 40, false, "no input guardrail verdict" },
        { Topics.AgentResponsesRaw, ChatEventTypes.ResponseRaw, 40, false, "no input guardrail verdict" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_turn_the_stage_cannot_trust_is_dead_lettered_with_the_reason_and_goes_no_further(string topic, string type, int length, bool inputAllowed, string reason)
    {
        var session = "tool-" + Guid.NewGuid().ToString("N");
        var text = string.Concat(Enumerable.Repeat("Which electric car do you have? ", length / 32 + 1))[..length];
        var turn = Turn(session, "t" + Guid.NewGuid().ToString("N")[..12]) with
        {
            Text = text,
            Verdict = inputAllowed ? InputAllowed : null,
            Answer = topic == Topics.AgentResponsesRaw ? "You get 90 % off today." : null,
        };
        await ProduceAsync(topic, turn, type, "forged");

        var dead = await DeadLetterAsync(session);
        Assert.Contains(reason, Header(dead, "dlq_reason"));
        Assert.Equal(pipeline.Topic(topic), Header(dead, "dlq_topic"));
        Assert.Equal(text.Length, Parse(dead).Text.Length); // the original, whole, for a person to look at
        // Nothing went on from the refusing stage (it handles a session's events in order, so it would have been first).
        foreach (var next in new[] { Topics.AgentRequestsEnterprise, Topics.AgentResponsesRaw, Topics.AgentResponsesFinal }.Where(t => t != topic))
            Assert.DoesNotContain(TestKafka.ReadToEnd(pipeline.Topic(next), 4), m => Is(m, session));
    }

    [Fact]
    public async Task An_event_for_an_unknown_tenant_is_dead_lettered_on_the_first_try_naming_the_tenant_and_the_conversation_goes_on()
    {
        var (chat, session) = await pipeline.OpenAsync(Dealer);
        var ghost = "ghost-" + Guid.NewGuid().ToString("N")[..8];
        await ProduceAsync(Topics.UserMessagesRaw, Turn(session, "ghost01") with { TenantId = ghost }, ChatEventTypes.MessageReceived, "received");

        // Retries would take a minute and more before a dead letter; a refusal takes moments.
        var dead = await DeadLetterAsync(session, TimeSpan.FromSeconds(20));
        Assert.Contains($"tenant '{ghost}'", Header(dead, "dlq_reason"));
        Assert.Equal("ghost01.received", Header(dead, "ce_id"));

        // The same partition is not held up: the customer's next message is answered.
        var sent = await chat.Send("Which electric car do you have?");
        Assert.Equal(LineStatus.Answered, (await PipelineCluster.AnswerTo(chat, sent.TurnId!)).Status);
        Assert.Single(TestKafka.ReadTopic(pipeline.Topic(Topics.DeadLetter), 4, seen => seen.Any(m => Is(m, session))), m => Is(m, session)); // refused once, not retried
    }

    [Fact]
    public async Task Latency_is_measured_from_the_platforms_receipt_not_the_producers_submittedAt()
    {
        var tenantId = "old-clock-" + Guid.NewGuid().ToString("N")[..8];
        await pipeline.Client.GetGrain<ITenantDirectoryGrain>(0).Register(DemoTenants.HarborBank with { TenantId = tenantId, Name = "Old Clock Bank" });
        var session = "tool-" + Guid.NewGuid().ToString("N");
        var turn = Turn(session, "oldclock01") with { TenantId = tenantId, Tier = Tier.Pro, Text = "What does the Harbor Visa card cost?", SubmittedAt = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero) };
        await ProduceAsync(Topics.UserMessagesRaw, turn, ChatEventTypes.MessageReceived, "received");

        Assert.NotNull(Parse(OnlyEvent(Topics.AgentResponsesFinal, session)).ReceivedAt);
        TenantTierFigures? figures = null;
        await Eventually.True(async () =>
        {
            figures = (await pipeline.Client.GetGrain<ITierGrain>(nameof(Tier.Pro)).GetStats()).Tenants.FirstOrDefault(t => t.TenantId == tenantId);
            return figures is { Turns: > 0 };
        }, "the tool's turn counted in the pro tier's figures");
        Assert.InRange(figures!.P95Ms, 0, 60_000);
    }

    private static ChatTurn Turn(string session, string turnId) => new()
    {
        TurnId = turnId, TenantId = Dealer, SessionId = session, Tier = Tier.Enterprise, Text = "Which electric car do you have?", SubmittedAt = DateTimeOffset.UtcNow,
    };

    private async Task ProduceAsync(string topic, ChatTurn turn, string type, string step)
    {
        var e = ChatEvents.For(turn, type, step, "/rogue-producer");
        using var producer = TestKafka.PlainProducer();
        await producer.ProduceAsync(pipeline.Topic(topic), new Message<byte[], byte[]>
        {
            Key = Encoding.UTF8.GetBytes(turn.SessionId), Value = CloudEventKafkaMapping.ToValue(e), Headers = CloudEventKafkaMapping.ToHeaders(e),
        });
    }

    private Task<ConsumeResult<byte[], byte[]>> DeadLetterAsync(string session, TimeSpan? deadline = null) =>
        Task.Run(() => TestKafka.ReadTopic(pipeline.Topic(Topics.DeadLetter), 4, seen => seen.Any(m => Is(m, session)), deadline).First(m => Is(m, session)));

    private ConsumeResult<byte[], byte[]> OnlyEvent(string topic, string session) =>
        TestKafka.ReadTopic(pipeline.Topic(topic), 4, seen => seen.Any(m => Is(m, session))).Single(m => Is(m, session));

    private static bool Is(ConsumeResult<byte[], byte[]> m, string session) => Encoding.UTF8.GetString(m.Message.Key) == session;

    private static string Header(ConsumeResult<byte[], byte[]> m, string name) =>
        m.Message.Headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : $"(no {name} header)";

    private static ChatTurn Parse(ConsumeResult<byte[], byte[]> m) =>
        System.Text.Json.JsonSerializer.Deserialize<ChatTurn>(m.Message.Value, CloudEventJson.Options)!;
}
