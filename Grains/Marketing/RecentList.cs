namespace Grains.Marketing;

/// <summary>
/// The bounded "latest N" lists of the marketing pages (leads submitted, outbox deliveries): an item is kept once,
/// the oldest fall off past the capacity, and they are read newest first.
/// </summary>
internal static class RecentList
{
    /// <summary>Adds <paramref name="item"/> unless an equal one is kept; true when the list changed (and must be written).</summary>
    public static bool Add<T>(List<T> items, T item, Func<T, bool> same, int capacity)
    {
        if (items.Exists(i => same(i))) return false;
        items.Add(item);
        if (items.Count > capacity) items.RemoveRange(0, items.Count - capacity);
        return true;
    }

    public static IReadOnlyList<T> Newest<T>(List<T> items, int max, int capacity) =>
        items.AsEnumerable().Reverse().Take(Math.Clamp(max, 1, capacity)).ToList();
}
