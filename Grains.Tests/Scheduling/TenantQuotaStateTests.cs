using Grains.Scheduling;

namespace Grains.Tests.Scheduling;

/// <summary>
/// The quota's stored state alone: stored on every admission, so its size must not grow with the rate, and the
/// sliding minute it keeps must still hold exactly what was admitted in it.
/// </summary>
public sealed class TenantQuotaStateTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 8, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Ten_thousand_admissions_at_two_hundred_a_second_keep_the_state_bounded_and_the_minute_exact()
    {
        var state = new TenantQuotaState();
        for (var i = 0; i < 10_000; i++)
        {
            var now = Start + TimeSpan.FromMilliseconds(5 * i); // 200 a second, for 50 s
            state.Roll(now);
            Assert.False(state.Remembers($"turn-{i}"));
            state.Count(now, requests: 1, tokens: 0);
            state.Count(now, requests: 0, tokens: 40);
            state.Remember($"turn-{i}");
        }
        Assert.InRange(state.Seconds.Count, 1, 61);
        Assert.Equal(TenantQuotaState.RememberedTurns, state.RecentTurns.Count);
        Assert.Equal(10_000, state.RequestsInWindow);
        Assert.Equal(400_000, state.TokensInWindow);
        Assert.True(state.Remembers("turn-9999"));
        Assert.False(state.Remembers($"turn-{9_999 - TenantQuotaState.RememberedTurns}")); // the oldest are forgotten

        // The first second's 200 admissions leave the window a minute after that second ends, not before.
        state.Roll(Start + TimeSpan.FromSeconds(60.5));
        Assert.Equal(10_000, state.RequestsInWindow);
        state.Roll(Start + TimeSpan.FromSeconds(61));
        Assert.Equal(9_800, state.RequestsInWindow);
        state.Roll(Start + TimeSpan.FromSeconds(111));
        Assert.Equal(0, state.RequestsInWindow);
        Assert.Empty(state.Seconds);
    }

    [Fact]
    public void A_state_stored_with_a_time_per_admission_is_moved_into_seconds_and_keeps_its_turns()
    {
        var state = new TenantQuotaState
        {
            Requests = [Start, Start + TimeSpan.FromMilliseconds(300), Start + TimeSpan.FromSeconds(2)],
            Tokens = [new TokenUse(Start + TimeSpan.FromMilliseconds(100), 50), new TokenUse(Start + TimeSpan.FromSeconds(2.5), 70)],
            TurnIds = ["q-1", "q-2", "q-3"],
            Day = DateOnly.FromDateTime(Start.UtcDateTime),
            RequestsToday = 3,
        };
        state.MoveLegacyLists();
        state.Roll(Start + TimeSpan.FromSeconds(3));
        Assert.Null(state.Requests);
        Assert.Null(state.Tokens);
        Assert.Null(state.TurnIds);
        Assert.Equal(3, state.RequestsInWindow);
        Assert.Equal(120, state.TokensInWindow);
        Assert.Equal([new QuotaSecond(Start.ToUnixTimeSeconds(), 2, 50), new QuotaSecond(Start.ToUnixTimeSeconds() + 2, 1, 70)], state.Seconds);
        Assert.True(state.Remembers("q-2"));
        Assert.False(state.Remembers("q-4"));
        Assert.Equal(3, state.RequestsToday);
    }

    [Fact]
    public void A_clock_that_steps_back_counts_into_the_newest_second()
    {
        var state = new TenantQuotaState();
        state.Count(Start + TimeSpan.FromSeconds(5), requests: 1, tokens: 0);
        state.Count(Start + TimeSpan.FromSeconds(3), requests: 1, tokens: 0);
        Assert.Equal([new QuotaSecond(Start.ToUnixTimeSeconds() + 5, 2, 0)], state.Seconds);
    }
}
