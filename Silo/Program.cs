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

// `dotnet run --project Silo -- kafka`: only the embedded Kafka cluster (in memory), with the platform's topics, for
// silos and portals in other processes (--Kafka:BootstrapServers=$(cat the bootstrap file)); runs until stopped.
if (args.FirstOrDefault() == "kafka")
{
    var section = builder.Configuration.GetSection("Kafka");
    var options = PlatformKafkaHosting.Read(section);
    using var cluster = PlatformKafkaHosting.StartEmbedded(section, options);
    Console.WriteLine($"kafka: embedded cluster ({cluster.BrokerCount} brokers, in memory only) at {cluster.BootstrapServers}, written to {options.BootstrapFile}; Ctrl+C stops it");
    var stop = new TaskCompletionSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
    AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.TrySetResult();
    await stop.Task;
    LocalCluster.Withdraw(options.BootstrapFile!, cluster.BootstrapServers);
    return;
}

// `dotnet run --project Silo -- rebuild-figures`: recomputes the tier and intervention figures from the topics, as an
// Orleans client of the running cluster (same Orleans and Kafka settings as its silos).
if (args.FirstOrDefault() == "rebuild-figures")
{
    var options = PlatformKafkaHosting.Read(builder.Configuration.GetSection("Kafka"));
    if (string.IsNullOrWhiteSpace(options.BootstrapServers))
        throw new InvalidOperationException("rebuild-figures: set Kafka:BootstrapServers to the cluster's Kafka (for the embedded one: $(cat /tmp/agent-platform/kafka-bootstrap)).");
    using var host = await PlatformClustering.StartClientAsync(builder.Configuration);
    var result = await Grains.Analytics.FiguresRebuild.RunAsync(host.Services.GetRequiredService<IClusterClient>(), options);
    Console.WriteLine($"rebuild-figures: {result.Turns} turns into the tier figures, {result.Interventions} approval steps into the intervention figures ({result.Unreadable} unreadable events skipped)");
    await host.StopAsync();
    return;
}

// /health on 5000 unless configured; beside another silo on this machine, a free port (Kestrel logs which).
if (builder.Configuration["urls"] is null && LocalCluster.InUse(5000)) builder.WebHost.UseUrls("http://127.0.0.1:0");
var kafka = builder.AddPlatformKafka();
builder.AddPlatformTracing("agent-platform-silo");
var stores = PlatformStoreOptions.From(builder.Configuration);
await stores.VerifyAsync();
builder.UseOrleans(silo =>
{
    silo.UsePlatformClustering(builder.Configuration, stores);
    // In a pod (docs/kubernetes): silo name, advertised IP and ids from the pod; silos whose pod is gone are marked dead.
    if (builder.Configuration.GetValue("Orleans:Kubernetes", false)) silo.UseKubernetesHosting();
    silo.AddAgentPlatform(kafka, seedDemoTenants: builder.Configuration.GetValue("Orleans:SeedDemoTenants", true), stores);
    silo.AddDashboard(); // the grains behind the portal's /dashboard when the portal is a client of these silos
});

builder.Logging.DropWatchdogStartupAlarm();
var app = builder.Build();
app.MapGet("/health", async (PlatformKafkaOptions k, IGrainFactory grains) =>
{
    var silos = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
    return Results.Ok(new { status = "healthy", kafka = k.BootstrapServers, embedded = k.IsEmbedded, activeSilos = silos.Keys.Select(s => s.ToString()) });
});
app.Run();
