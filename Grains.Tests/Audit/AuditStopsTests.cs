using Grains.Audit;
using Grains.Control;
using Grains.Pipeline;

namespace Grains.Tests.Audit;

/// <summary>Which stops an audit timeline names: those in force, for that conversation, while it ran.</summary>
public sealed class AuditStopsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

    private static ControlChange At(int minute, string scope, string action, string by = "ops", string? reason = null) =>
        new(scope, action, by, T0.AddMinutes(minute), reason);

    [Fact]
    public void Stops_overlapping_the_conversation_for_its_tenant_tier_or_all_are_named_with_who_switched_them_on_and_off()
    {
        ControlChange[] history =
        [
            At(0, "model", "pause", "ana", "backend upgrade"), At(5, "model", "resume", "ben"),          // before: not named
            At(8, HoldScope.Tenant("velo-corner"), "hold answers", "cara", "new model rollout"),          // on during, off after
            At(9, HoldScope.Tenant("stuttgart-motors"), "pause tenant", "dan"),                            // another tenant
            At(9, HoldScope.ForTier(Tier.Free), "hold answers", "eve"),                                     // another tier
            At(11, "output-guardrail", "pause", "fay"),                                                     // still paused: named
            At(30, HoldScope.Tenant("velo-corner"), "release hold", "gus"),
        ];

        var stops = AuditStops.Touching(history, "velo-corner", Tier.Pro, from: T0.AddMinutes(10), to: T0.AddMinutes(12));

        Assert.Equal(2, stops.Count);
        var hold = stops[0];
        Assert.Equal(("answers held", "tenant:velo-corner", "cara", "new model rollout", "gus"), (hold.What, hold.Scope, hold.OnBy, hold.Reason, hold.OffBy));
        Assert.Equal(T0.AddMinutes(30), hold.OffAt);
        var pause = stops[1];
        Assert.Equal(("stage paused", "output-guardrail", "fay"), (pause.What, pause.Scope, pause.OnBy));
        Assert.Null(pause.OffAt);
    }

    [Fact]
    public void A_stop_switched_off_before_the_conversation_began_or_on_after_it_ended_is_not_named()
    {
        ControlChange[] history = [At(0, HoldScope.All, "hold answers"), At(2, HoldScope.All, "release hold"), At(20, "delivery", "pause")];
        Assert.Empty(AuditStops.Touching(history, "velo-corner", Tier.Free, T0.AddMinutes(5), T0.AddMinutes(6)));
        Assert.Single(AuditStops.Touching(history, "velo-corner", Tier.Free, T0.AddMinutes(1), T0.AddMinutes(6)));
    }
}
