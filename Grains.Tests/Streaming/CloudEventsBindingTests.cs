using System.Text;
using CloudNative.CloudEvents;
using Confluent.Kafka;
using Grains.Pipeline;
using Grains.Tests.Infrastructure;
using Grains.Tests.Pipeline;
using Streaming.Kafka.Events;
using SdkEvent = CloudNative.CloudEvents.CloudEvent;

namespace Grains.Tests.Streaming;

/// <summary>
/// Our events follow the CloudEvents Kafka protocol binding (binary mode), as the CNCF SDK reads and writes it: every
/// attribute, the extensions too, in a <c>ce_</c> header, the data as the value.
/// </summary>
public sealed class CloudEventsBindingTests(PipelineCluster pipeline) : IClassFixture<PipelineCluster>
{
    private const string Dealer = "stuttgart-motors";

    [Fact]
    public async Task Every_hop_of_a_turn_reads_as_a_valid_CloudEvent_with_its_extensions_in_the_CNCF_SDK()
    {
        var (chat, session) = await pipeline.OpenAsync(Dealer);
        var sent = await chat.Send("Which electric car do you have?");
        await PipelineCluster.AnswerTo(chat, sent.TurnId!);

        foreach (var (topic, type) in new[]
                 {
                     (Topics.UserMessagesRaw, ChatEventTypes.MessageReceived), (Topics.UserMessagesCleaned, ChatEventTypes.MessageCleaned),
                     (Topics.AgentRequestsEnterprise, ChatEventTypes.AgentRequested), (Topics.AgentResponsesRaw, ChatEventTypes.ResponseRaw),
                     (Topics.AgentResponsesFinal, ChatEventTypes.ResponseFinal),
                 })
        {
            var message = TestKafka.ReadTopic(pipeline.Topic(topic), 4, seen => seen.Any(m => KeyOf(m) == session)).Single(m => KeyOf(m) == session);
            var e = FromKafka(message.Message);
            Assert.True(e.IsValid, $"{topic}: a valid CloudEvent");
            Assert.Equal(CloudEventsSpecVersion.V1_0, e.SpecVersion);
            Assert.Equal(sent.TurnId, e.Subject);
            Assert.Equal(type, e.Type);
            Assert.NotNull(e.Source);
            Assert.NotNull(e.Time);
            Assert.Equal("application/json", e.DataContentType);
            Assert.Equal(Dealer, e["tenantid"]);
            Assert.Equal(session, e["sessionid"]);
            Assert.Equal("enterprise", e["tier"]);
            Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", (string)e["traceparent"]!);
            Assert.Contains(sent.TurnId!, (string)e.Data!);
        }
    }

    [Fact]
    public async Task A_turn_written_by_a_plain_producer_as_the_CNCF_SDK_writes_it_is_answered()
    {
        var session = "sdk-" + Guid.NewGuid().ToString("N");
        var e = new SdkEvent(CloudEventsSpecVersion.V1_0)
        {
            Id = "sdk01.received",
            Type = ChatEventTypes.MessageReceived,
            Source = new Uri("/partner-app", UriKind.Relative),
            Time = DateTimeOffset.UtcNow,
            Subject = "sdk01",
            DataContentType = "application/json",
            Data = $$"""{"turnId":"sdk01","tenantId":"{{Dealer}}","sessionId":"{{session}}","tier":"enterprise","text":"Which electric car do you have?","submittedAt":"2026-12-03T10:00:00Z"}""",
        };
        e["tenantid"] = Dealer;
        e["sessionid"] = session;
        e["tier"] = "enterprise";
        using (var producer = TestKafka.PlainProducer())
            await producer.ProduceAsync(pipeline.Topic(Topics.UserMessagesRaw), ToKafka(e, session));

        var answer = TestKafka.ReadTopic(pipeline.Topic(Topics.AgentResponsesFinal), 4, seen => seen.Any(m => KeyOf(m) == session)).Single(m => KeyOf(m) == session);
        var read = FromKafka(answer.Message);
        Assert.Equal("sdk01", read.Subject);
        Assert.Equal(ChatEventTypes.ResponseFinal, read.Type);
        Assert.Contains("EQS", (string)read.Data!);
    }

    private static string KeyOf(ConsumeResult<byte[], byte[]> m) => Encoding.UTF8.GetString(m.Message.Key);

    /// <summary>The binding's binary mode, read with the SDK's own attribute parsing and validation.</summary>
    private static SdkEvent FromKafka(Message<byte[], byte[]> message)
    {
        var headers = message.Headers.ToDictionary(h => h.Key, h => Encoding.UTF8.GetString(h.GetValueBytes()));
        Assert.Equal("1.0", headers["ce_specversion"]);
        var e = new SdkEvent(CloudEventsSpecVersion.FromVersionId(headers["ce_specversion"])!);
        foreach (var (name, value) in headers.Where(h => h.Key.StartsWith("ce_", StringComparison.Ordinal) && h.Key != "ce_specversion"))
            e.SetAttributeFromString(name[3..], value);
        e.DataContentType = headers["content-type"];
        e.Data = Encoding.UTF8.GetString(message.Value);
        return e;
    }

    /// <summary>What the SDK's Kafka binding writes in binary mode: each populated attribute as a <c>ce_</c> header.</summary>
    private static Message<byte[], byte[]> ToKafka(SdkEvent e, string key)
    {
        var headers = new Headers { { "ce_specversion", Encoding.UTF8.GetBytes(e.SpecVersion.VersionId) } };
        foreach (var (attribute, value) in e.GetPopulatedAttributes())
        {
            if (attribute == e.SpecVersion.DataContentTypeAttribute) headers.Add("content-type", Encoding.UTF8.GetBytes((string)value));
            else headers.Add("ce_" + attribute.Name, Encoding.UTF8.GetBytes(attribute.Format(value)));
        }
        return new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(key), Value = Encoding.UTF8.GetBytes((string)e.Data!), Headers = headers };
    }
}
