using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Streaming.Kafka.Providers;

namespace Streaming.Kafka.Hosting;

public sealed class SiloKafkaStreamConfigurator : SiloPersistentStreamConfigurator
{
    public SiloKafkaStreamConfigurator(string name, Action<Action<IServiceCollection>> configureServicesDelegate)
        : base(name, configureServicesDelegate, KafkaAdapterFactory.Create)
    {
        ConfigureDelegate(services =>
        {
            services.TryAddSingleton<KafkaClientPool>();
            services.AddKeyedSingleton(name, (sp, _) => new KafkaEventReader(sp.GetOptionsByName<KafkaStreamOptions>(name)));
            services
                .ConfigureNamedOptionForLogging<KafkaStreamOptions>(name)
                .ConfigureNamedOptionForLogging<SimpleQueueCacheOptions>(name)
                .AddTransient<IConfigurationValidator>(sp => new KafkaStreamOptionsValidator(sp.GetRequiredService<IOptionsMonitor<KafkaStreamOptions>>().Get(name), name));
        });
        this.ConfigurePullingAgent(ob => ob.Configure(o =>
        {
            // Low read latency by default: an idle queue is polled every 10 ms (a buffer check, no broker call).
            o.GetQueueMsgsTimerPeriod = TimeSpan.FromMilliseconds(10);
            // Orleans gives up on an event after 1 min of failed deliveries by default, and the event is dead-lettered:
            // a delivery to a grain on a silo killed mid-call can hang for the whole response timeout first (seen in the
            // kill drill: two turns lost). Ten minutes of retries outlast a silo's death and the directory's repair.
            o.MaxEventDeliveryTime = TimeSpan.FromMinutes(10);
        }));
    }

    public SiloKafkaStreamConfigurator ConfigureKafka(Action<OptionsBuilder<KafkaStreamOptions>> configure)
    {
        this.Configure(configure);
        return this;
    }

    public SiloKafkaStreamConfigurator ConfigureCache(int cacheSize = SimpleQueueCacheOptions.DEFAULT_CACHE_SIZE)
    {
        this.Configure<SimpleQueueCacheOptions>(ob => ob.Configure(o => o.CacheSize = cacheSize));
        return this;
    }
}

public sealed class ClusterClientKafkaStreamConfigurator : ClusterClientPersistentStreamConfigurator
{
    public ClusterClientKafkaStreamConfigurator(string name, IClientBuilder builder)
        : base(name, builder, KafkaAdapterFactory.Create)
    {
        builder.ConfigureServices(services =>
        {
            services.TryAddSingleton<KafkaClientPool>();
            services.AddKeyedSingleton(name, (sp, _) => new KafkaEventReader(sp.GetOptionsByName<KafkaStreamOptions>(name)));
            services
                .ConfigureNamedOptionForLogging<KafkaStreamOptions>(name)
                .AddTransient<IConfigurationValidator>(sp => new KafkaStreamOptionsValidator(sp.GetRequiredService<IOptionsMonitor<KafkaStreamOptions>>().Get(name), name));
        });
    }

    public ClusterClientKafkaStreamConfigurator ConfigureKafka(Action<OptionsBuilder<KafkaStreamOptions>> configure)
    {
        this.Configure(configure);
        return this;
    }
}
