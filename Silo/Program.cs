using Grains.Hosting;

// A backend silo: the pipeline's grains and stage consumers, without the portal.
// Several can run side by side; they share each stage's partitions through Orleans' queue balancer.
var builder = WebApplication.CreateBuilder(args);
var kafka = builder.AddPlatformKafka();
var stores = PlatformStoreOptions.From(builder.Configuration);
builder.UseOrleans(silo =>
{
    silo.UsePlatformClustering(builder.Configuration, stores);
    silo.AddAgentPlatform(kafka, seedDemoTenants: builder.Configuration.GetValue("Orleans:SeedDemoTenants", true), stores);
});

var app = builder.Build();
app.MapGet("/health", async (PlatformKafkaOptions k, IGrainFactory grains) =>
{
    var silos = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
    return Results.Ok(new { status = "healthy", kafka = k.BootstrapServers, embedded = k.IsEmbedded, activeSilos = silos.Keys.Select(s => s.ToString()) });
});
app.Run();
