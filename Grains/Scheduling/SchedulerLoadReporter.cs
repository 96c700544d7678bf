using Grains.Pipeline;
using Grains.Tiers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Grains.Scheduling;

/// <summary>Every second, tells each tier's grain how many requests wait and run in this silo's scheduler (queue depth for the SLA dashboard).</summary>
public sealed class SchedulerLoadReporter(ModelScheduler scheduler, IGrainFactory grains, ILocalSiloDetails silo, ILogger<SchedulerLoadReporter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var snapshot = scheduler.Snapshot();
                foreach (var tier in Enum.GetValues<Tier>())
                {
                    var load = snapshot.Classes.Single(c => c.Class == SchedulerOptions.ClassOf(tier));
                    await grains.GetGrain<ITierGrain>(tier.ToString()).ReportLoad(silo.SiloAddress.ToString(), new TierLoad(load.Queued, load.InFlight, load.OldestWaitMs));
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogDebug(ex, "Scheduler load not reported this second (silo starting or stopping)");
            }
        }
    }
}
