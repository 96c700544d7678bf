using Grains.Conversations;

namespace Portal.Services;

/// <summary>
/// One browser circuit's live view of its conversation: registers an Orleans observer, renews its
/// lease before the grain forgets it, and raises <see cref="LineArrived"/> for each pushed line.
/// </summary>
public sealed class ConversationSubscription(IGrainFactory grains, ILogger<ConversationSubscription> logger) : IConversationObserver, IAsyncDisposable
{
    private IConversationGrain? _grain;
    private IConversationObserver? _reference;
    private LeaseRenewal? _renewal;

    public event Func<ChatLine, Task>? LineArrived;

    /// <summary>Opens a new conversation bound to this browser (<paramref name="owner"/>) and watches it.</summary>
    public async Task<ConversationView> StartAsync(string sessionId, string tenantId, string owner)
    {
        await StopAsync();
        var grain = grains.GetGrain<IConversationGrain>(sessionId);
        var view = await grain.Open(tenantId, owner);
        await WatchAsync(grain);
        return view;
    }

    /// <summary>Continues this browser's conversation (e.g. after a reload); another browser's is refused.</summary>
    public async Task<ConversationView?> ResumeAsync(string sessionId, string owner)
    {
        await StopAsync();
        var grain = grains.GetGrain<IConversationGrain>(sessionId);
        var view = await grain.Resume(owner);
        if (view is not null) await WatchAsync(grain);
        return view;
    }

    private async Task WatchAsync(IConversationGrain grain)
    {
        _grain = grain;
        _reference = grains.CreateObjectReference<IConversationObserver>(this);
        await _grain.Subscribe(_reference);
        var reference = _reference;
        _renewal = new LeaseRenewal(ConversationLimits.ObserverLease / 3, () => grain.Subscribe(reference), logger);
    }

    public Task<SendResult> SendAsync(string text, string? clientAddress) =>
        _grain?.SendAsync(text, clientAddress) ?? Task.FromResult(SendResult.Refused("Choose an assistant first."));

    public async Task OnLine(ChatLine line)
    {
        if (LineArrived is { } handler) await handler(line);
    }

    private async Task StopAsync()
    {
        if (_renewal is not null) await _renewal.DisposeAsync();
        _renewal = null;
        if (_grain is not null && _reference is not null)
        {
            try { await _grain.Unsubscribe(_reference); }
            catch (Exception ex) { logger.LogDebug(ex, "Unsubscribe failed (grain gone)"); }
            grains.DeleteObjectReference<IConversationObserver>(_reference);
        }
        _grain = null;
        _reference = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
