using Grains.Hosting;
using Grains.Models;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;

namespace Portal.Extensions;

/// <summary>
/// The portal as an Orleans client of separate Silo processes (<c>Portal:CoHostSilo=false</c>): it runs no grain
/// and consumes no stage; it finds the silos through the same clustering settings and refuses to start when none
/// answers within <c>Portal:ConnectTimeout</c> (30 s), saying where it looked.
/// </summary>
public static class PortalClient
{
    public static bool IsClient(IConfiguration configuration) => !configuration.GetValue("Portal:CoHostSilo", true);

    /// <summary>A client must use the silos' Kafka: an embedded cluster of its own would be a different, empty one.</summary>
    public static void RequireKafka(IConfiguration configuration)
    {
        if (string.IsNullOrWhiteSpace(configuration["Kafka:BootstrapServers"]))
            throw new InvalidOperationException(
                "Portal:CoHostSilo=false: the portal is a client of separate silos and must use their Kafka. Set Kafka:BootstrapServers " +
                $"(for silos on the embedded cluster: --Kafka:BootstrapServers=$(cat {PlatformKafkaHosting.DefaultBootstrapFile})).");
    }

    public static IHostApplicationBuilder AddPortalClient(this IHostApplicationBuilder builder, PlatformStoreOptions stores, PlatformKafkaOptions kafka)
    {
        var timeout = builder.Configuration.GetValue("Portal:ConnectTimeout", TimeSpan.FromSeconds(30));
        var where = stores.Clustering == StoreKind.Memory
            ? $"the gateway on localhost:{builder.Configuration.GetValue("Orleans:GatewayPort", 30000)}"
            : $"the {stores.Clustering} membership table of service '{builder.Configuration["Orleans:ServiceId"] ?? "agent-platform"}'";
        builder.UseOrleansClient(client =>
        {
            client.UsePlatformClustering(builder.Configuration, stores);
            client.UseConnectionRetryFilter(new NoSiloFilter(timeout, where));
            // The stages' stream providers, producing only: what the portal reads from Kafka itself (audit replay,
            // trigger and stage lag) needs their settings and clients, as in a silo.
            client.AddAgentPlatform(kafka);
            client.AddDashboard();
        });
        // What the pages use in-process besides grains: the guardrail chains (the policy page's try-it box) and the
        // model settings the chat page shows. The silos' state and scheduler are read through grains.
        builder.Services.TryAddSingleton(stores);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<ModelOptions>().BindConfiguration("Model").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton<IChatClient>(sp => sp.GetRequiredService<IOptions<ModelOptions>>().Value.CreateClient(sp.GetService<Grains.Guardrails.Embeddings.TextEmbedder>()));
        builder.Services.AddPlatformGuardrails();
        return builder;
    }

    private sealed class NoSiloFilter(TimeSpan timeout, string where) : IClientConnectionRetryFilter
    {
        private readonly DateTime _deadline = DateTime.UtcNow + timeout;

        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            if (DateTime.UtcNow > _deadline)
                throw new InvalidOperationException(
                    $"Portal:CoHostSilo=false, but no silo answered within {timeout.TotalSeconds:0} s at {where}. Start one " +
                    $"(dotnet run --project Silo with the same Orleans and Kafka settings) or set Portal:CoHostSilo=true. Last error: {exception.Message}");
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            return true;
        }
    }
}
