using System.Text.Json;
using Grains.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Portal.Services;

namespace Portal.Apis;

/// <summary>
/// <c>/health/live</c> (the process answers: for a liveness probe) and <c>/health/ready</c> (Kafka answers, at least one
/// silo is active, the state store answers: for a readiness probe or a load balancer), as ASP.NET Core health checks
/// with a JSON body naming each check. Anonymous, like <c>/metrics</c>: expose them to the monitoring network only.
/// </summary>
public static class ReadinessChecks
{
    public static IServiceCollection AddPortalHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<KafkaCheck>("kafka", tags: ["ready"])
            .AddCheck<SiloCheck>("silo", tags: ["ready"])
            .AddCheck<StoreCheck>("store", tags: ["ready"]);
        return services;
    }

    public static IEndpointRouteBuilder MapPortalHealthChecks(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteAsync });
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }));
    }

    private sealed class KafkaCheck(PipelineMonitor monitor) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var snapshot = await monitor.SnapshotAsync(cancellationToken);
            return snapshot.Reachable
                ? HealthCheckResult.Healthy($"{snapshot.Brokers} brokers at {snapshot.BootstrapServers}{(snapshot.Embedded ? " (embedded, in memory)" : "")}")
                : HealthCheckResult.Unhealthy($"Kafka at {snapshot.BootstrapServers} does not answer: {snapshot.Error}");
        }
    }

    private sealed class SiloCheck(IGrainFactory grains) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
                return hosts.Count > 0 ? HealthCheckResult.Healthy($"{hosts.Count} active silo(s)") : HealthCheckResult.Unhealthy("no active silo");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy($"the cluster does not answer: {e.Message}");
            }
        }
    }

    private sealed class StoreCheck(PlatformStoreOptions stores) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await stores.VerifyAsync(cancellationToken);
                return HealthCheckResult.Healthy(stores.Describe());
            }
            catch (InvalidOperationException e)
            {
                return HealthCheckResult.Unhealthy(e.Message);
            }
        }
    }
}
