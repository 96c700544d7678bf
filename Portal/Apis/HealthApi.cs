using Portal.Services;

namespace Portal.Apis;

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/kafka", GetKafkaHealth);
        return app;
    }

    /// <summary>Which Kafka this host uses (embedded or real), its address, and whether it answers.</summary>
    private static async Task<IResult> GetKafkaHealth(PipelineMonitor monitor, Grains.Hosting.PlatformKafkaOptions kafka, CancellationToken ct)
    {
        var snapshot = await monitor.SnapshotAsync(ct);
        var body = new
        {
            status = snapshot.Reachable ? "healthy" : "unreachable",
            embedded = snapshot.Embedded,
            storage = snapshot.Embedded ? "in-memory (lost at exit)" : "cluster",
            bootstrapServers = snapshot.BootstrapServers,
            bootstrapFile = kafka.BootstrapFile,
            brokers = snapshot.Brokers,
            error = snapshot.Error,
            stages = snapshot.Stages.Select(s => new { stage = s.Stage.Name, group = s.GroupId, lag = s.TotalLag }),
        };
        return snapshot.Reachable ? Results.Ok(body) : Results.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
