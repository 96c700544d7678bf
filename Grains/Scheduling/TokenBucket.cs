namespace Grains.Scheduling;

/// <summary>
/// Tokens per minute, refilled continuously; a request takes its estimate up front and the
/// difference to its real usage is settled when it ends. Zero capacity means no limit.
/// Not thread-safe: the scheduler calls it under its lock.
/// </summary>
public sealed class TokenBucket(int tokensPerMinute, DateTimeOffset now)
{
    private double _tokens = tokensPerMinute;
    private DateTimeOffset _refilledAt = now;

    public bool Unlimited => tokensPerMinute <= 0;

    /// <summary>
    /// This silo's part of the cluster's tokens per minute. Lowering it clamps what is left, so the silos together
    /// never hold more than one minute's worth; raising it only lets the bucket refill faster.
    /// </summary>
    public void SetTokensPerMinute(int value, DateTimeOffset now)
    {
        Available(now);
        tokensPerMinute = value;
        _tokens = Math.Min(_tokens, value);
    }

    public double Available(DateTimeOffset now)
    {
        if (Unlimited) return double.PositiveInfinity;
        var elapsed = (now - _refilledAt).TotalMinutes;
        if (elapsed > 0)
        {
            _tokens = Math.Min(tokensPerMinute, _tokens + elapsed * tokensPerMinute);
            _refilledAt = now;
        }
        return _tokens;
    }

    /// <summary>A request larger than the whole bucket may start when the bucket is full (it would never fit otherwise).</summary>
    public bool CanTake(int tokens, DateTimeOffset now) => Unlimited || Available(now) >= Math.Min(tokens, tokensPerMinute);

    public void Take(int tokens, DateTimeOffset now)
    {
        if (Unlimited) return;
        Available(now);
        _tokens -= tokens;
    }

    /// <summary>Settles the estimate against what the call really used (may go negative: later calls wait).</summary>
    public void Settle(int estimated, int used)
    {
        if (!Unlimited) _tokens += estimated - used;
    }
}
