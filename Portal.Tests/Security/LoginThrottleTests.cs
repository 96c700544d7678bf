using System.Net;
using Microsoft.Extensions.Time.Testing;
using Portal.Security;

namespace Portal.Tests.Security;

/// <summary>Password guessing is slowed by growing delays per name and address; padding a name changes nothing, and a stranger cannot keep the owner out.</summary>
public sealed class LoginThrottleTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));
    private static readonly IPAddress Stranger = IPAddress.Parse("203.0.113.7");
    private static readonly IPAddress Owner = IPAddress.Parse("198.51.100.20");

    [Theory]
    [InlineData(" moderator")]
    [InlineData("\tmoderator")]
    [InlineData("MODERATOR ")]
    [InlineData("moder\u200Bator")]
    [InlineData("ｍｏｄｅｒａｔｏｒ")] // full-width letters (NFKC)
    public void A_padded_or_disguised_name_counts_as_the_same_account(string disguised)
    {
        Assert.Equal("moderator", StaffUserName.Normalize(disguised));
        var throttle = new LoginThrottle(_clock);
        for (var i = 0; i < 3; i++) throttle.Failed("moderator", Stranger);
        Assert.Null(throttle.Wait(disguised, Stranger));
        throttle.Failed(disguised, Stranger); // the fourth failure, under another spelling
        Assert.NotNull(throttle.Wait("moderator", Stranger));
    }

    [Fact]
    public void Delays_grow_with_each_failure_and_end_by_themselves()
    {
        var throttle = new LoginThrottle(_clock);
        for (var i = 0; i < 3; i++) throttle.Failed("operator", Stranger);
        Assert.Null(throttle.Wait("operator", Stranger)); // three free tries
        var waits = new List<TimeSpan>();
        for (var i = 0; i < 4; i++)
        {
            throttle.Failed("operator", Stranger);
            var wait = throttle.Wait("operator", Stranger)!.Value;
            waits.Add(wait);
            _clock.Advance(wait);
            Assert.Null(throttle.Wait("operator", Stranger));
        }
        Assert.Equal([1, 2, 4, 8], waits.Select(w => (int)w.TotalSeconds));
    }

    [Fact]
    public void A_stranger_failing_many_times_cannot_keep_the_owner_out_for_more_than_seconds()
    {
        var throttle = new LoginThrottle(_clock);
        for (var i = 0; i < 50; i++) throttle.Failed("admin", Stranger);
        Assert.True(throttle.Wait("admin", Stranger) >= TimeSpan.FromMinutes(4), "the stranger waits minutes");
        var owner = throttle.Wait("admin", Owner);
        Assert.True(owner is null || owner <= TimeSpan.FromSeconds(2), $"the owner waits {owner}");
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(throttle.Wait("admin", Owner));
        // The stranger's address is slowed for every name it tries.
        Assert.NotNull(throttle.Wait("operator", Stranger));
    }

    [Fact]
    public void A_right_password_clears_the_name_from_that_address_only()
    {
        var throttle = new LoginThrottle(_clock);
        for (var i = 0; i < 5; i++) throttle.Failed("finance", Owner);
        _clock.Advance(TimeSpan.FromMinutes(1));
        throttle.Succeeded("finance", Owner);
        Assert.Null(throttle.Wait("finance", Owner));
    }
}
