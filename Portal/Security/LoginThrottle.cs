using System.Collections.Concurrent;

namespace Portal.Security;

/// <summary>Slows password guessing: five failures for a user name within five minutes lock it for the rest of that window.</summary>
public sealed class LoginThrottle(TimeProvider time)
{
    private const int MaxFailures = 5;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long the user must wait, or null when a try is allowed.</summary>
    public TimeSpan? Locked(string user)
    {
        if (!_failures.TryGetValue(user, out var failures)) return null;
        lock (failures)
        {
            Trim(failures);
            return failures.Count >= MaxFailures ? Window - (time.GetUtcNow() - failures.Peek()) : null;
        }
    }

    public void Failed(string user)
    {
        var failures = _failures.GetOrAdd(user, _ => new Queue<DateTimeOffset>());
        lock (failures)
        {
            Trim(failures);
            failures.Enqueue(time.GetUtcNow());
        }
    }

    public void Succeeded(string user) => _failures.TryRemove(user, out _);

    private void Trim(Queue<DateTimeOffset> failures)
    {
        while (failures.Count > 0 && time.GetUtcNow() - failures.Peek() > Window) failures.Dequeue();
    }
}
