namespace Grains.Hosting;

/// <summary>
/// Group commit for a reentrant grain's state: every caller changes the state in memory, then awaits
/// <see cref="WriteAsync"/>, which completes once a write that started after the change is stored. Changes made
/// while one write runs share the next, so a busy grain stores once per group instead of once per call, and nobody
/// is answered before their change is stored (a stream delivery acknowledged only then keeps at-least-once).
/// The write is the grain's own (usually <see cref="StateWrites.WriteOrDropAsync{T}"/>, which drops the activation
/// when it fails, so its callers and those of the following group are retried against what is stored); it takes what
/// it stores before its first await, so changes made after that wait for the next group.
/// </summary>
/// <remarks>
/// With a <c>linger</c>, a group waits that long before its write starts, so changes that arrive close together share
/// a write even when none is under way (a turn's events reach the audit from seven topics within milliseconds, rarely
/// during a write). Only for grains whose callers can wait: the linger is added to each of their answers.
/// </remarks>
public sealed class GroupedWrites(Func<Task> write, TimeSpan linger = default, TimeProvider? time = null)
{
    private Task? _writing;
    private Task? _next;

    /// <summary>The write that will hold every change made so far: the next one, started when the current one ends.</summary>
    public Task WriteAsync() => _next ??= WriteAfterAsync(_writing);

    /// <summary>The write that holds (or will hold) what is already changed: for a repeated call that changes nothing.</summary>
    public Task Pending => _next ?? _writing ?? Task.CompletedTask;

    private async Task WriteAfterAsync(Task? previous)
    {
        // Always yields first, so _next is set before this starts and the changes made meanwhile join this write.
        if (linger > TimeSpan.Zero) await Task.Delay(linger, time ?? TimeProvider.System);
        if (previous is not null) await previous.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Current);
        else if (linger <= TimeSpan.Zero) await Task.Yield();
        _writing = _next;
        _next = null;
        await write();
    }
}
