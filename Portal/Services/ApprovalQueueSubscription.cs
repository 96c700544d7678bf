using Grains.Approvals;

namespace Portal.Services;

/// <summary>A moderator circuit's live view of a team's queue: an Orleans observer with lease renewal.</summary>
public sealed class ApprovalQueueSubscription(IGrainFactory grains, ILogger<ApprovalQueueSubscription> logger) : IApprovalQueueObserver, IAsyncDisposable
{
    private IApprovalQueueGrain? _queue;
    private IApprovalQueueObserver? _reference;
    private LeaseRenewal? _renewal;

    public event Func<Task>? Changed;

    public async Task StartAsync(string team)
    {
        _queue = grains.GetGrain<IApprovalQueueGrain>(team);
        _reference = grains.CreateObjectReference<IApprovalQueueObserver>(this);
        await _queue.Subscribe(_reference);
        var (queue, reference) = (_queue, _reference);
        _renewal = new LeaseRenewal(TimeSpan.FromSeconds(40), () => queue.Subscribe(reference), logger);
    }

    public async Task OnQueueChanged()
    {
        if (Changed is { } handler) await handler();
    }

    public async ValueTask DisposeAsync()
    {
        if (_renewal is not null) await _renewal.DisposeAsync();
        if (_queue is not null && _reference is not null)
        {
            try { await _queue.Unsubscribe(_reference); }
            catch (Exception ex) { logger.LogDebug(ex, "Unsubscribe failed"); }
            grains.DeleteObjectReference<IApprovalQueueObserver>(_reference);
        }
    }
}
