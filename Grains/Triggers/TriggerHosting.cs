using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Runtime;

namespace Grains.Triggers;

public static class TriggerHosting
{
    /// <summary>The trigger runner of this silo (and <see cref="TriggerOffsets"/> for the registry, the API and the page).</summary>
    public static ISiloBuilder AddTriggers(this ISiloBuilder silo)
    {
        silo.Services.AddOptions<TriggerOptions>().BindConfiguration(TriggerOptions.Section);
        silo.Services.AddTriggerMonitoring();
        silo.Services.TryAddSingleton<TriggerRunner>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<TriggerRunner>());
        return silo;
    }

    /// <summary>For a host that only reads triggers' lag (a portal that is an Orleans client).</summary>
    public static IServiceCollection AddTriggerMonitoring(this IServiceCollection services)
    {
        services.TryAddSingleton<TriggerOffsets>();
        return services;
    }
}
