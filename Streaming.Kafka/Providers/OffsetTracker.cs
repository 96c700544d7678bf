namespace Streaming.Kafka.Providers;

/// <summary>
/// The commit watermark of one partition. Offsets handed to Orleans stay "in flight" until Orleans
/// reports them delivered (or failed and handled); the committable position is the lowest offset
/// still in flight, else one past the highest handed over. Offsets may have gaps (compaction,
/// transactions), so nothing assumes offset + 1 follows.
/// </summary>
internal sealed class OffsetTracker
{
    private readonly Lock _gate = new();
    private readonly SortedSet<long> _inFlight = [];
    private long _highestHandled = -1;
    private long _committed = -1;

    public void Handed(long offset, bool settled)
    {
        lock (_gate)
        {
            if (!settled) _inFlight.Add(offset);
            if (offset > _highestHandled) _highestHandled = offset;
        }
    }

    public void Settled(long offset)
    {
        lock (_gate) _inFlight.Remove(offset);
    }

    public int InFlight { get { lock (_gate) return _inFlight.Count; } }

    /// <summary>The next offset to commit, or null when nothing new can be committed.</summary>
    public long? Committable()
    {
        lock (_gate)
        {
            if (_highestHandled < 0) return null;
            var position = _inFlight.Count > 0 ? _inFlight.Min : _highestHandled + 1;
            return position > _committed ? position : null;
        }
    }

    public void MarkCommitted(long position)
    {
        lock (_gate) _committed = Math.Max(_committed, position);
    }
}
