using Grains.Approvals;

namespace Portal.Services;

/// <summary>A moderator circuit's live view of a team's queue: an Orleans observer with lease renewal.</summary>
public sealed class ApprovalQueueSubscription(IGrainFactory grains, ILogger<ApprovalQueueSubscription> logger) : IApprovalQueueObserver, IAsyncDisposable
{
    private IApprovalQueueGrain? _queue;
    private IApprovalQueueObserver? _reference;
    private PeriodicTimer? _renewal;
    private Task? _renewing;

    public event Func<Task>? Changed;

    public async Task StartAsync(string team)
    {
        _queue = grains.GetGrain<IApprovalQueueGrain>(team);
        _reference = grains.CreateObjectReference<IApprovalQueueObserver>(this);
        await _queue.Subscribe(_reference);
        _renewal = new PeriodicTimer(TimeSpan.FromSeconds(40));
        _renewing = RenewAsync(_renewal, _queue, _reference);
    }

    private async Task RenewAsync(PeriodicTimer timer, IApprovalQueueGrain queue, IApprovalQueueObserver reference)
    {
        try
        {
            while (await timer.WaitForNextTickAsync()) await queue.Subscribe(reference);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Renewing the approval queue subscription failed");
        }
    }

    public async Task OnQueueChanged()
    {
        if (Changed is { } handler) await handler();
    }

    public async ValueTask DisposeAsync()
    {
        _renewal?.Dispose();
        if (_renewing is not null) await _renewing;
        if (_queue is not null && _reference is not null)
        {
            try { await _queue.Unsubscribe(_reference); }
            catch (Exception ex) { logger.LogDebug(ex, "Unsubscribe failed"); }
            grains.DeleteObjectReference<IApprovalQueueObserver>(_reference);
        }
    }
}
