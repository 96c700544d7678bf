using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Streaming.Kafka;

namespace Grains.Hosting;

/// <summary>
/// One OpenTelemetry trace per turn: <c>chat send</c> (the root) → <c>publish TOPIC</c> → <c>receive TOPIC</c> →
/// <c>STAGE handle</c> → <c>publish NEXT</c> … → <c>delivery handle</c>. The W3C <c>traceparent</c> of each Kafka
/// message is its publish span, so any consumer (ours, kcat, a Connect sink) can continue the tree.
/// </summary>
public static class PlatformTracing
{
    public const string SourceName = "AgentPlatform";

    /// <summary>Every source that belongs to a turn's trace (ours and the Kafka hops').</summary>
    /// <remarks>
    /// Declared before <see cref="Source"/> on purpose: creating the source asks every listener whether it listens, and
    /// a listener reading <c>Sources</c> in that callback runs inside this class's static constructor — it must find
    /// the field set (it found null, and the bench's span profile never saw our spans).
    /// </remarks>
    public static readonly string[] Sources = [SourceName, KafkaTracing.SourceName];

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// Records the turn spans in every host. With <c>OpenTelemetry:Otlp:Endpoint</c> set they are exported by OTLP
    /// (with Orleans' own call spans); without, they still give every event a traceparent of its hop.
    /// </summary>
    public static IHostApplicationBuilder AddPlatformTracing(this IHostApplicationBuilder builder, string serviceName)
    {
        var endpoint = builder.Configuration["OpenTelemetry:Otlp:Endpoint"];
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithTracing(tracing =>
            {
                tracing.AddSource(Sources);
                if (string.IsNullOrWhiteSpace(endpoint)) return;
                tracing.AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application");
                tracing.AddOtlpExporter(o =>
                {
                    o.Endpoint = new Uri(endpoint);
                    o.Protocol = builder.Configuration["OpenTelemetry:Otlp:Protocol"] is "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                    // HTTP/protobuf wants the signal's path; a bare collector address is the usual thing to configure.
                    if (o.Protocol == OtlpExportProtocol.HttpProtobuf && o.Endpoint.AbsolutePath is "/" or "") o.Endpoint = new Uri(o.Endpoint, "/v1/traces");
                });
            });
        return builder;
    }

    /// <summary>
    /// The root span of a customer's turn: a new trace, whatever the caller was doing (a portal circuit, an API call),
    /// so each turn is one trace of its own.
    /// </summary>
    public static Activity? StartTurn(string name, string tenantId, string sessionId)
    {
        Activity.Current = null;
        var span = Source.StartActivity(name, ActivityKind.Producer);
        span?.SetTag("tenant.id", tenantId);
        span?.SetTag("session.id", sessionId);
        return span;
    }

    /// <summary>A stage's handling of one event: child of its receive span, parent of what it publishes.</summary>
    public static Activity? StartHandle(string stage, string? turnId)
    {
        var span = Source.StartActivity(stage + " handle");
        span?.SetTag("turn.id", turnId);
        return span;
    }
}
