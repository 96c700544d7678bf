using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Net;
using System.Text;
using Grains.Hosting;
using Grains.Pipeline;
using Grains.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Grains.Tests.Pipeline;

/// <summary>One turn is one OpenTelemetry trace: a tree of spans from the customer's send to the delivered answer.</summary>
public sealed class TurnTraceTests(PipelineCluster pipeline) : IClassFixture<PipelineCluster>
{
    [Fact]
    public async Task A_turn_is_one_tree_of_spans_from_the_send_to_the_delivered_answer_across_every_topic()
    {
        var spans = new Spans();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(PlatformTracing.Sources).AddInMemoryExporter(spans).Build();

        var (chat, session) = await pipeline.OpenAsync("stuttgart-motors");
        var sent = await chat.Send("Which electric car do you have?");
        Assert.True(sent.Accepted, sent.Error);
        await PipelineCluster.AnswerTo(chat, sent.TurnId!);

        var root = await FirstAsync(spans, s => s.DisplayName == "chat send" && (string?)s.GetTagItem("session.id") == session, "the send's root span");
        var trace = root.TraceId;
        // Spans are exported when they end; the delivery's receive span ends last on the answer's path.
        await Eventually.True(() => spans.Of(trace).Any(s => s.DisplayName == "receive " + Topics.AgentResponsesFinal), "the delivery's receive span");
        var tree = spans.Of(trace);

        Assert.Equal(default, root.ParentSpanId);
        Assert.Single(tree, s => s.ParentSpanId == default); // one root: every hop continued the trace instead of starting one
        var ids = tree.Select(s => s.SpanId).ToHashSet();
        Assert.All(tree.Where(s => s != root), s => Assert.Contains(s.ParentSpanId, ids)); // nothing dangles

        var path = new List<string>();
        for (var span = tree.Single(s => s.DisplayName == "delivery handle"); span is not null; span = tree.SingleOrDefault(s => s.SpanId == span.ParentSpanId))
            path.Insert(0, span.DisplayName);
        Assert.Equal(
        [
            "chat send",
            "publish " + Topics.UserMessagesRaw, "receive " + Topics.UserMessagesRaw, "input-guardrail handle",
            "publish " + Topics.UserMessagesCleaned, "receive " + Topics.UserMessagesCleaned, "tier-router handle",
            "publish " + Topics.AgentRequestsEnterprise, "receive " + Topics.AgentRequestsEnterprise, "agent-execution handle",
            "publish " + Topics.AgentResponsesRaw, "receive " + Topics.AgentResponsesRaw, "output-guardrail handle",
            "publish " + Topics.AgentResponsesFinal, "receive " + Topics.AgentResponsesFinal, "delivery handle",
        ], path);

        var receive = tree.Single(s => s.DisplayName == "receive " + Topics.AgentResponsesFinal);
        Assert.Equal(ActivityKind.Consumer, receive.Kind);
        Assert.Equal(Stage.Delivery.Name, receive.GetTagItem("messaging.consumer.group.name"));
        Assert.NotNull(receive.GetTagItem("messaging.kafka.offset"));

        // What any other consumer sees: the answer's traceparent header names the span that produced it.
        var publish = tree.Single(s => s.DisplayName == "publish " + Topics.AgentResponsesFinal);
        Assert.Equal(ActivityKind.Producer, publish.Kind);
        var final = TestKafka.ReadTopic(pipeline.Topic(Topics.AgentResponsesFinal), 4, seen => seen.Any(m => m.Message.Key is { } k && Encoding.UTF8.GetString(k) == session))
            .Single(m => Encoding.UTF8.GetString(m.Message.Key) == session);
        Assert.True(final.Message.Headers.TryGetLastBytes("traceparent", out var header));
        Assert.Equal($"00-{trace.ToHexString()}-{publish.SpanId.ToHexString()}-01", Encoding.UTF8.GetString(header));
    }

    [Fact]
    public async Task With_an_OTLP_endpoint_configured_a_hosts_turn_spans_are_exported_to_it()
    {
        using var collector = new HttpListener();
        var port = LoopbackChatServer.FreePort();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var received = new List<(string Path, string ContentType, byte[] Body)>();
        var receiving = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                HttpListenerContext context;
                try { context = await collector.GetContextAsync(); }
                catch (Exception) when (!collector.IsListening) { return; }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                lock (received) received.Add((context.Request.Url!.AbsolutePath, context.Request.ContentType ?? "", body.ToArray()));
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });

        string session;
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["OpenTelemetry:Otlp:Endpoint"] = $"http://127.0.0.1:{port}";
        // This host's exporter sees the spans of every cluster in the test process (Orleans' call spans included); the
        // default queue of 2,048 drops spans when it is full, which under the full suite took this turn's with it.
        builder.Configuration["OTEL_BSP_MAX_QUEUE_SIZE"] = "200000";
        builder.Configuration["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"] = "4096";
        builder.AddPlatformTracing("otlp-test");
        using (var host = builder.Build())
        {
            await host.StartAsync();
            (var chat, session) = await pipeline.OpenAsync("stuttgart-motors");
            var sent = await chat.Send("Do you have an SUV?");
            await PipelineCluster.AnswerTo(chat, sent.TurnId!);
            await host.StopAsync(); // flushes what the batch exporter still holds
        }

        // The turn's trace id, as every hop's traceparent header carries it.
        var raw = TestKafka.ReadTopic(pipeline.Topic(Topics.UserMessagesRaw), 4, seen => seen.Any(m => Encoding.UTF8.GetString(m.Message.Key) == session))
            .Single(m => Encoding.UTF8.GetString(m.Message.Key) == session);
        Assert.True(raw.Message.Headers.TryGetLastBytes("traceparent", out var header));
        var traceId = Convert.FromHexString(Encoding.UTF8.GetString(header).Split('-')[1]);
        await Eventually.True(() => { lock (received) return received.Any(r => Contains(r.Body, traceId)); }, "an OTLP export holding the turn's trace id");
        lock (received)
        {
            var export = received.First(r => Contains(r.Body, traceId));
            Assert.Equal("/v1/traces", export.Path);
            Assert.Equal("application/x-protobuf", export.ContentType);
            var exported = received.Where(r => Contains(r.Body, traceId)).SelectMany(r => r.Body).ToArray();
            foreach (var name in new[] { "chat send", "publish " + Topics.UserMessagesRaw, "input-guardrail handle", "delivery handle", "otlp-test" })
                Assert.True(Contains(exported, Encoding.UTF8.GetBytes(name)), $"'{name}' was not exported");
        }
        collector.Stop();
        await receiving;
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    private static async Task<Activity> FirstAsync(Spans spans, Func<Activity, bool> match, string what)
    {
        await Eventually.True(() => spans.Snapshot().Any(match), what);
        return spans.Snapshot().First(match);
    }

    /// <summary>The exporter adds from whichever thread ended a span.</summary>
    private sealed class Spans : Collection<Activity>
    {
        private readonly Lock _lock = new();

        protected override void InsertItem(int index, Activity item) { lock (_lock) base.InsertItem(index, item); }

        public List<Activity> Snapshot() { lock (_lock) return [.. Items]; }

        public List<Activity> Of(ActivityTraceId trace) => Snapshot().Where(s => s.TraceId == trace).ToList();
    }
}
