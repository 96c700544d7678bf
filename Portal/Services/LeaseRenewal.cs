namespace Portal.Services;

/// <summary>Renews a grain-observer subscription before its lease runs out, until disposed.</summary>
public sealed class LeaseRenewal : IAsyncDisposable
{
    private readonly PeriodicTimer _timer;
    private readonly Task _renewing;

    public LeaseRenewal(TimeSpan every, Func<Task> renew, ILogger logger)
    {
        _timer = new PeriodicTimer(every);
        _renewing = RunAsync(renew, logger);
    }

    private async Task RunAsync(Func<Task> renew, ILogger logger)
    {
        try
        {
            while (await _timer.WaitForNextTickAsync()) await renew();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Renewing a live subscription failed; the page stops receiving updates until reloaded");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _timer.Dispose();
        await _renewing;
    }
}
