namespace Grains;

/// <summary>
/// Observers (browser circuits) of a grain, each kept for a lease it must renew by subscribing again;
/// expired ones are dropped on the next notification. Plain class, used inside one grain's turns.
/// </summary>
public sealed class ObserverLeases<T>(TimeProvider time, TimeSpan lease) where T : notnull
{
    private readonly Dictionary<T, DateTimeOffset> _observers = [];

    public TimeSpan Lease => lease;

    public void Subscribe(T observer) => _observers[observer] = time.GetUtcNow() + lease;

    public void Unsubscribe(T observer) => _observers.Remove(observer);

    /// <summary>Calls <paramref name="notify"/> for every observer whose lease is still valid.</summary>
    public void Notify(Func<T, Task> notify)
    {
        var now = time.GetUtcNow();
        foreach (var (observer, expires) in _observers.ToList())
        {
            if (expires < now) { _observers.Remove(observer); continue; }
            notify(observer).Ignore();
        }
    }
}
