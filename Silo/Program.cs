using Grains.Hosting;
using Orleans.Dashboard;

// A backend silo: the pipeline's grains and stage consumers, without the portal.
// Several can run side by side; they share each stage's partitions through Orleans' queue balancer.
var builder = WebApplication.CreateBuilder(args);

// `dotnet run --project Silo -- schema`: applies the project's PostgreSQL schema to ConnectionStrings:Postgres and exits.
if (args.FirstOrDefault() == "schema")
{
    var postgres = builder.Configuration.GetConnectionString("Postgres")
        ?? throw new InvalidOperationException("schema: set ConnectionStrings:Postgres (e.g. --ConnectionStrings:Postgres=\"Host=localhost;Database=agent_platform;Username=orleans;Password=…\").");
    await PostgresSchema.ApplyAsync(postgres);
    Console.WriteLine($"schema: applied {string.Join(", ", PostgresSchema.Scripts)}");
    return;
}

var kafka = builder.AddPlatformKafka();
var stores = PlatformStoreOptions.From(builder.Configuration);
await stores.VerifyAsync();
builder.UseOrleans(silo =>
{
    silo.UsePlatformClustering(builder.Configuration, stores);
    silo.AddAgentPlatform(kafka, seedDemoTenants: builder.Configuration.GetValue("Orleans:SeedDemoTenants", true), stores);
    silo.AddDashboard(); // the grains behind the portal's /dashboard when the portal is a client of these silos
});

var app = builder.Build();
app.MapGet("/health", async (PlatformKafkaOptions k, IGrainFactory grains) =>
{
    var silos = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
    return Results.Ok(new { status = "healthy", kafka = k.BootstrapServers, embedded = k.IsEmbedded, activeSilos = silos.Keys.Select(s => s.ToString()) });
});
app.Run();
