using Grains.Hosting;

// A backend silo: the pipeline's grains and stage consumers, without the portal.
// Several can run side by side; they share each stage's partitions through Orleans' queue balancer.
var builder = WebApplication.CreateBuilder(args);
var kafka = builder.AddPlatformKafka();
builder.UseOrleans(silo =>
{
    var orleans = builder.Configuration.GetSection("Orleans");
    silo.UseLocalhostClustering(
        siloPort: orleans.GetValue("SiloPort", 11111),
        gatewayPort: orleans.GetValue("GatewayPort", 30000),
        primarySiloEndpoint: new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, orleans.GetValue("PrimarySiloPort", 11111)),
        serviceId: orleans["ServiceId"] ?? "agent-platform",
        clusterId: orleans["ClusterId"] ?? "dev");
    silo.AddAgentPlatform(kafka, seedDemoTenants: orleans.GetValue("SeedDemoTenants", true));
});

var app = builder.Build();
app.MapGet("/health", (PlatformKafkaOptions k) => Results.Ok(new { status = "healthy", kafka = k.BootstrapServers, embedded = k.IsEmbedded }));
app.Run();
