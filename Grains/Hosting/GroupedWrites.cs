namespace Grains.Hosting;

/// <summary>
/// Group commit for a reentrant grain's state: every caller changes the state in memory, then awaits
/// <see cref="WriteAsync"/>, which completes once a write that started after the change is stored. Changes made
/// while one write runs share the next, so a busy grain stores once per group instead of once per call, and nobody
/// is answered before their change is stored (a stream delivery acknowledged only then keeps at-least-once).
/// A failed write drops the activation (<see cref="StateWrites.WriteOrDropAsync{T}"/>): its callers and those of the
/// following group fail and are retried against what is stored.
/// </summary>
/// <remarks>
/// With a <c>linger</c>, a group waits that long before its write starts, so changes that arrive close together share
/// a write even when none is under way (a turn's events reach the audit from seven topics within milliseconds, rarely
/// during a write). Only for grains whose callers can wait: the linger is added to each of their answers.
/// </remarks>
public sealed class GroupedWrites<T>(IPersistentState<T> state, IGrainBase grain, TimeSpan linger = default, TimeProvider? time = null)
{
    private Task? _writing;
    private Task? _next;

    /// <summary>The write that will hold every change made so far: the next one, started when the current one ends.</summary>
    public Task WriteAsync() => _next ??= WriteAfterAsync(_writing);

    private async Task WriteAfterAsync(Task? previous)
    {
        // Always yields first, so _next is set before this starts and the changes made meanwhile join this write.
        if (linger > TimeSpan.Zero) await Task.Delay(linger, time ?? TimeProvider.System);
        if (previous is not null) await previous.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Current);
        else if (linger <= TimeSpan.Zero) await Task.Yield();
        _writing = _next;
        _next = null;
        await state.WriteOrDropAsync(grain);
    }
}
