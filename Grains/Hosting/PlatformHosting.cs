using Grains.Models;
using Grains.Marketing;
using Grains.Pipeline;
using Grains.Tenants;
using Grains.Triggers;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Providers;
using Orleans.Streams;
using Streaming.Kafka;
using Streaming.Kafka.Embedded;
using Streaming.Kafka.Providers;
using Streaming.Kafka.Hosting;

namespace Grains.Hosting;

/// <summary>Where the platform's Kafka is and how its topics are named.</summary>
public sealed class PlatformKafkaOptions
{
    public string BootstrapServers { get; set; } = "";
    public string TopicPrefix { get; set; } = "";
    public int Partitions { get; set; } = 4;
    public Dictionary<string, string> ClientSettings { get; set; } = [];
    /// <summary><c>Kafka:ReceiveWait</c>: the pulling agents' long poll (<see cref="KafkaStreamOptions.ReceiveWait"/>); unset: its default.</summary>
    public TimeSpan? ReceiveWait { get; set; }
    /// <summary><c>Kafka:FetchWait</c>: <c>fetch.wait.max.ms</c> (<see cref="KafkaStreamOptions.FetchWait"/>); unset: by the kind of cluster.</summary>
    public TimeSpan? FetchWait { get; set; }
    /// <summary>Set when the host runs the embedded cluster: topics are then created through its mock API.</summary>
    public EmbeddedKafkaCluster? Embedded { get; set; }

    public bool IsEmbedded => Embedded is not null;

    /// <summary>Where the embedded cluster's address was written for other processes (kcat, a second silo).</summary>
    public string? BootstrapFile { get; set; }
}

public static class PlatformHosting
{
    /// <summary>Grains, storage, one Kafka stream provider per pipeline stage, the model, and the demo tenants.</summary>
    public static ISiloBuilder AddAgentPlatform(this ISiloBuilder silo, PlatformKafkaOptions kafka, bool seedDemoTenants = true, PlatformStoreOptions? stores = null)
    {
        stores ??= PlatformStoreOptions.Memory;
        silo.Services.TryAddSingleton(stores);
        silo.AddActivityPropagation(); // grain calls continue the turn's trace (PlatformTracing)
        // Grain state and reminders (reminders wake approval queues after a restart so SLA deadlines are kept).
        silo.AddPlatformGrainStorage(stores);
        silo.AddStartupTask((sp, _) =>
        {
            sp.GetRequiredService<ILogger<PlatformStoreOptions>>().LogInformation("State: {Stores}", stores.Describe());
            return Task.CompletedTask;
        });
        foreach (var stage in Stage.All)
            silo.AddKafkaStreams(stage.Name, c =>
            {
                c.ConfigureKafka(ob => ob.Configure(o => Apply(o, kafka, stage)));
                c.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
                // Stages start stopped; the start-up task below starts those no operator has paused,
                // so a silo that starts while a stage is paused never consumes from it.
                c.ConfigureLifecycle(ob => ob.Configure(o => o.StartupState = StreamLifecycleOptions.RunState.AgentsStopped));
            });
        // After the Active stage, in which the stream providers create their agent managers: run in the
        // same stage, the task could reach a provider first ("PullingAgentManager is not initialized yet").
        silo.AddStartupTask(async (sp, ct) =>
        {
            var stages = await sp.GetRequiredService<IGrainFactory>().GetGrain<Control.IControlGrain>(0).GetStages();
            foreach (var stage in stages.Where(s => !s.Paused))
                if (sp.GetRequiredKeyedService<IStreamProvider>(stage.Stage) is IControllable provider)
                    await provider.ExecuteCommand((int)Orleans.Providers.Streams.Common.PersistentStreamProviderCommand.StartAgents, null);
        }, ServiceLifecycleStage.Active + 1);
        if (kafka.Embedded is { } embedded)
            silo.Services.TryAddSingleton<IKafkaTopicCreator>(new EmbeddedTopicCreator(embedded));
        silo.Services.TryAddSingleton(TimeProvider.System);
        silo.Services.TryAddKeyedSingleton<TimeProvider>(Scheduling.PlatformClock.Key, (sp, _) => sp.GetRequiredService<TimeProvider>());
        silo.Services.AddOptions<Approvals.ApprovalSlaOptions>().BindConfiguration(Approvals.ApprovalSlaOptions.Section);
        silo.Services.AddOptions<ModelOptions>().BindConfiguration("Model").ValidateDataAnnotations().ValidateOnStart();
        silo.Services.AddPlatformGuardrails();
        silo.Services.TryAddSingleton<IChatClient>(sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ModelOptions>>().Value.CreateClient(sp.GetService<Guardrails.Embeddings.TextEmbedder>()));
        // Tier scheduling: one scheduler per silo in front of the model backends (each with its part of their limits), quotas per tenant.
        silo.Services.AddOptions<Scheduling.SchedulerOptions>().BindConfiguration(Scheduling.SchedulerOptions.Section).ValidateOnStart();
        silo.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<Scheduling.SchedulerOptions>, Scheduling.SchedulerOptionsValidator>();
        silo.Services.AddOptions<Scheduling.QuotaOptions>().BindConfiguration(Scheduling.QuotaOptions.Section);
        silo.Services.TryAddSingleton<Scheduling.ModelScheduler>();
        silo.Services.AddMarketing(); // the availability API (step 6) and the sinks (step 10)
        silo.Services.TryAddSingleton<Scheduling.ModelBackends>();
        silo.Services.AddHostedService<Scheduling.SchedulerLoadReporter>();
        silo.Services.AddHostedService<Scheduling.ModelCapacityReporter>(); // backend limits hold for the whole cluster
        // A request may wait for a model slot, then for the model: stream deliveries must outlast both.
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromMinutes(3));
        silo.AddTriggers(); // consumers added at runtime (Grains/Triggers): a runner per silo, definitions in TriggerRegistryGrain
        silo.Services.TryAddSingleton(new DemoTenantSeeding(seedDemoTenants));
        if (seedDemoTenants)
            silo.AddStartupTask(async (sp, ct) =>
            {
                var directory = sp.GetRequiredService<IGrainFactory>().GetGrain<ITenantDirectoryGrain>(0);
                foreach (var tenant in DemoTenants.All) await directory.Seed(tenant);
            });
        return silo;
    }

    /// <summary>For an Orleans client (a Portal that is not a silo): same providers, producing only.</summary>
    public static IClientBuilder AddAgentPlatform(this IClientBuilder client, PlatformKafkaOptions kafka)
    {
        client.AddActivityPropagation();
        if (kafka.Embedded is { } embedded)
            client.Services.TryAddSingleton<IKafkaTopicCreator>(new EmbeddedTopicCreator(embedded));
        foreach (var stage in Stage.All)
            client.AddKafkaStreams(stage.Name, c =>
            {
                c.ConfigureKafka(ob => ob.Configure(o => Apply(o, kafka, stage)));
                c.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
            });
        return client;
    }

    private static void Apply(KafkaStreamOptions o, PlatformKafkaOptions kafka, Stage stage)
    {
        o.BootstrapServers = kafka.BootstrapServers;
        o.TopicPrefix = kafka.TopicPrefix;
        o.Topics = [.. stage.Topics];
        o.NamespacePrefix = stage.NamespacePrefix;
        o.DeadLetterUnreadable = !stage.Observes;
        o.ConsumerGroupId = kafka.TopicPrefix + stage.Name;
        o.DeadLetterTopic = kafka.TopicPrefix + Topics.DeadLetter;
        o.PartitionsForNewTopics = kafka.Partitions;
        o.ClientSettings = new(kafka.ClientSettings);
        if (kafka.ReceiveWait is { } receiveWait) o.ReceiveWait = receiveWait;
        if (kafka.FetchWait is { } fetchWait) o.FetchWait = fetchWait;
    }
}
