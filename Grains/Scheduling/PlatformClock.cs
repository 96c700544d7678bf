namespace Grains.Scheduling;

/// <summary>
/// The clock domain logic measures on (SLA deadlines, scheduling, quotas): a keyed
/// <see cref="TimeProvider"/>, the system clock unless a test swaps in a fake one. Kept apart from
/// the unkeyed TimeProvider because Orleans' own timers use that one and must keep real time.
/// </summary>
public static class PlatformClock
{
    public const string Key = "platform-clock";
}
