namespace Portal.Services;

/// <summary>
/// Re-runs a page's refresh every period until disposed, for figures nothing pushes (Kafka lag, tier
/// figures, countdowns). A failed tick is skipped, not fatal: the next one tries again.
/// </summary>
public sealed class PeriodicRefresh : IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    private PeriodicRefresh(TimeSpan period, Func<Task> refresh) => _ = RunAsync(period, refresh);

    public static PeriodicRefresh Every(TimeSpan period, Func<Task> refresh) => new(period, refresh);

    private async Task RunAsync(TimeSpan period, Func<Task> refresh)
    {
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                try { await refresh(); }
                catch (Exception ex) when (ex is not OperationCanceledException) { /* the circuit may be gone or a grain busy: next tick */ }
            }
        }
        catch (OperationCanceledException) { }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
