using System.Collections.Concurrent;
using System.Net;

namespace Portal.Security;

/// <summary>
/// Slows password guessing with growing delays instead of a lock a stranger could set off. Three counters, each over
/// a 15-minute window: one user name from one address (after 3 failures each try waits 1, 2, 4 … s, up to 5 min),
/// one address for any user name (after 10: up to 15 min), and one user name from anywhere (after 20: a fixed 2 s,
/// which slows a guesser spread over many addresses but never keeps the owner out for long). Names are compared in
/// their <see cref="StaffUserName"/> form.
/// </summary>
public sealed class LoginThrottle(TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    private static readonly Rule Pair = new(Free: 3, Cap: TimeSpan.FromMinutes(5), Growing: true);
    private static readonly Rule Address = new(Free: 10, Cap: TimeSpan.FromMinutes(15), Growing: true);
    private static readonly Rule Account = new(Free: 20, Cap: TimeSpan.FromSeconds(2), Growing: false);

    private readonly ConcurrentDictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    /// <summary>How long this try must wait, or null when it may go ahead.</summary>
    public TimeSpan? Wait(string user, IPAddress? address)
    {
        var now = time.GetUtcNow();
        var waits = Keys(user, address).Select(k => _failures.TryGetValue(k.Key, out var f) ? f.Wait(k.Rule, now) : TimeSpan.Zero).ToList();
        var longest = waits.Max();
        return longest > TimeSpan.Zero ? longest : null;
    }

    public void Failed(string user, IPAddress? address)
    {
        var now = time.GetUtcNow();
        foreach (var (key, _) in Keys(user, address)) _failures.GetOrAdd(key, _ => new Failures()).Add(now);
    }

    /// <summary>A right password clears this name from this address only: a stranger's failures elsewhere still count.</summary>
    public void Succeeded(string user, IPAddress? address) => _failures.TryRemove(Keys(user, address)[0].Key, out _);

    private static List<(string Key, Rule Rule)> Keys(string user, IPAddress? address)
    {
        var name = StaffUserName.Normalize(user);
        var from = address?.MapToIPv6().ToString() ?? "unknown";
        return [($"pair|{name}|{from}", Pair), ($"address|{from}", Address), ($"account|{name}", Account)];
    }

    private sealed record Rule(int Free, TimeSpan Cap, bool Growing);

    private sealed class Failures
    {
        private readonly Queue<DateTimeOffset> _at = new();

        public void Add(DateTimeOffset now)
        {
            lock (_at)
            {
                Trim(now);
                _at.Enqueue(now);
            }
        }

        public TimeSpan Wait(Rule rule, DateTimeOffset now)
        {
            lock (_at)
            {
                Trim(now);
                var beyond = _at.Count - rule.Free; // failures past the free ones: the first waits 1 s, then 2, 4 …
                if (beyond <= 0) return TimeSpan.Zero;
                var delay = rule.Growing ? TimeSpan.FromSeconds(Math.Min(rule.Cap.TotalSeconds, Math.Pow(2, Math.Min(beyond - 1, 20)))) : rule.Cap;
                var until = _at.Last() + delay;
                return until > now ? until - now : TimeSpan.Zero;
            }
        }

        private void Trim(DateTimeOffset now)
        {
            while (_at.Count > 0 && now - _at.Peek() > Window) _at.Dequeue();
        }
    }
}
