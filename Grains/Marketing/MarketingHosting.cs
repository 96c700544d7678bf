using Microsoft.Extensions.DependencyInjection;

namespace Grains.Marketing;

/// <summary>The marketing assistant's services in a silo: the availability API's client and the sinks' options and client.</summary>
public static class MarketingHosting
{
    /// <summary>The HTTP client of the Slack and CRM sinks (a failed call throws; Kafka redelivers, so no retries of its own).</summary>
    public const string SinkClient = "marketing-sinks";

    public static IServiceCollection AddMarketing(this IServiceCollection services)
    {
        AvailabilityService.AddAvailabilityService(services);
        services.AddOptions<SinkOptions>().BindConfiguration(SinkOptions.Section);
        services.AddHttpClient(SinkClient, c => c.Timeout = TimeSpan.FromSeconds(15));
        return services;
    }
}
