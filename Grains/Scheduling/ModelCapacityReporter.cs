using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Grains.Scheduling;

/// <summary>
/// Four times a second, tells <see cref="IModelCapacityGrain"/> what this silo's scheduler uses and wants of each model
/// backend and applies the part it is given, so that N silos together never run more than a backend's
/// <c>MaxConcurrency</c> calls or spend more than its tokens per minute. Nothing on a request's path: a request waits
/// only when this silo's part is used up, until the next report moves capacity from a less busy silo.
/// </summary>
public sealed class ModelCapacityReporter : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(250);

    private readonly ModelScheduler _scheduler;
    private readonly IGrainFactory _grains;
    private readonly ILocalSiloDetails _silo;
    private readonly ILogger<ModelCapacityReporter> _logger;

    public ModelCapacityReporter(ModelScheduler scheduler, IGrainFactory grains, ILocalSiloDetails silo, ILogger<ModelCapacityReporter> logger)
    {
        _scheduler = scheduler;
        _grains = grains;
        _silo = silo;
        _logger = logger;
        // Until the cluster grants a part, this silo may be one of many: it starts no model call on its own authority.
        scheduler.Apply(scheduler.Demand().Select(d => new BackendGrant(d.Backend, 0, 0)).ToList());
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var silo = _silo.SiloAddress.ToParsableString();
        var capacity = _grains.GetGrain<IModelCapacityGrain>(0);
        using var timer = new PeriodicTimer(Period);
        bool failing = false, reported = false;
        do
        {
            try
            {
                _scheduler.Apply(await capacity.Report(silo, _scheduler.Demand()));
                failing = false;
                reported = true;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Keep the last part: growing it could overrun the backend, and the grain is back within seconds.
                // (Before the first report the silo is still starting: not worth a warning.)
                if (!failing && reported) _logger.LogWarning(ex, "Model capacity not reported; this silo keeps its last part of the backends until it is");
                failing = true;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
