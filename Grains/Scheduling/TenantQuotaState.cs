namespace Grains.Scheduling;

[GenerateSerializer, Immutable]
public sealed record TokenUse([property: Id(0)] DateTimeOffset At, [property: Id(1)] int Tokens);

/// <summary>
/// The last minute's admissions and tokens counted per second, today's totals, and recent turn ids as hashes: its
/// size is bounded (61 seconds, 256 hashes) whatever the rate, because it is stored on every admission. Counting per
/// second makes the sliding minute strict by up to a second: an admission leaves the window a minute after the end of
/// its second.
/// </summary>
[GenerateSerializer]
public sealed class TenantQuotaState
{
    internal const int WindowSeconds = 60;

    /// <summary>Turn ids remembered to recognise a redelivery.</summary>
    public const int RememberedTurns = 256;

    /// <summary>Before seconds were counted: every admission's and token use's time, and turn ids as text (moved on activation).</summary>
    [Id(0)] public List<DateTimeOffset>? Requests { get; set; }
    [Id(1)] public List<TokenUse>? Tokens { get; set; }
    [Id(2)] public List<string>? TurnIds { get; set; }
    [Id(3)] public DateOnly Day { get; set; }
    [Id(4)] public int RequestsToday { get; set; }
    [Id(5)] public long TokensToday { get; set; }
    [Id(6)] public long Refused { get; set; }
    [Id(7)] public List<QuotaSecond> Seconds { get; set; } = [];
    [Id(8)] public List<ulong> RecentTurns { get; set; } = [];

    public int RequestsInWindow => Seconds.Sum(b => b.Requests);

    public long TokensInWindow => Seconds.Sum(b => b.Tokens);

    internal static long SecondOf(DateTimeOffset at) => at.ToUnixTimeSeconds();

    /// <summary>A turn id's stable 64-bit hash (the same in every process, unlike string.GetHashCode).</summary>
    private static ulong Hash(string turnId) =>
        System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(turnId)));

    public bool Remembers(string turnId) => RecentTurns.Contains(Hash(turnId));

    public void Remember(string turnId)
    {
        RecentTurns.Add(Hash(turnId));
        if (RecentTurns.Count > RememberedTurns) RecentTurns.RemoveRange(0, RecentTurns.Count - RememberedTurns);
    }

    /// <summary>Drops the seconds that left the window (they are in time order) and starts a new day's totals.</summary>
    public void Roll(DateTimeOffset now)
    {
        var first = SecondOf(now) - WindowSeconds;
        Seconds.RemoveRange(0, Seconds.FindIndex(b => b.Second >= first) is var r and >= 0 ? r : Seconds.Count);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        if (today != Day)
        {
            Day = today;
            RequestsToday = 0;
            TokensToday = 0;
        }
    }

    public void Count(DateTimeOffset now, int requests, long tokens)
    {
        var second = SecondOf(now);
        // A clock that stepped back counts into the newest second rather than out of order.
        if (Seconds.Count > 0 && Seconds[^1].Second >= second)
        {
            var last = Seconds[^1];
            Seconds[^1] = last with { Requests = last.Requests + requests, Tokens = last.Tokens + tokens };
        }
        else Seconds.Add(new QuotaSecond(second, requests, tokens));
    }

    /// <summary>A state stored before seconds were counted, moved into them (once; the old lists are then dropped).</summary>
    public void MoveLegacyLists()
    {
        if (Requests is null && Tokens is null && TurnIds is null) return;
        var uses = (Requests ?? []).Select(at => (At: at, Requests: 1, Tokens: 0L))
            .Concat((Tokens ?? []).Select(t => (t.At, Requests: 0, Tokens: (long)t.Tokens)))
            .OrderBy(u => u.At);
        foreach (var use in uses) Count(use.At, use.Requests, use.Tokens);
        foreach (var turnId in TurnIds ?? []) Remember(turnId);
        Requests = null;
        Tokens = null;
        TurnIds = null;
    }
}

/// <summary>One second of the sliding minute: the admissions and tokens counted in it.</summary>
[GenerateSerializer, Immutable]
public readonly record struct QuotaSecond([property: Id(0)] long Second, [property: Id(1)] int Requests, [property: Id(2)] long Tokens);
