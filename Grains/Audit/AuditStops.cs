using Grains.Control;
using Grains.Pipeline;

namespace Grains.Audit;

/// <summary>A stop that was in force while a conversation ran: what, who switched it on and off, when and why.</summary>
public sealed record AuditStop(string What, string Scope, string OnBy, DateTimeOffset OnAt, string? Reason, string? OffBy, DateTimeOffset? OffAt);

/// <summary>
/// Which soft and hard stops touched a conversation, from the control room's history: every stage pause (a paused
/// stage holds every conversation's events), a pause of the conversation's tenant, and holds on all answers, its
/// tenant's or its tier's, whose time in force overlaps the conversation's events.
/// </summary>
public static class AuditStops
{
    public static IReadOnlyList<AuditStop> Touching(IEnumerable<ControlChange> history, string? tenantId, Tier? tier, DateTimeOffset from, DateTimeOffset to)
    {
        var stops = new List<AuditStop>();
        var open = new Dictionary<(string What, string Scope), ControlChange>();
        foreach (var change in history.OrderBy(c => c.At))
        {
            var (what, on) = change.Action switch
            {
                "pause" => ("stage paused", true),
                "resume" => ("stage paused", false),
                "pause tenant" => ("tenant paused", true),
                "resume tenant" => ("tenant paused", false),
                "hold answers" => ("answers held", true),
                "release hold" => ("answers held", false),
                _ => ("", false),
            };
            if (what.Length == 0) continue;
            var key = (what, change.Stage);
            if (on)
                open.TryAdd(key, change);
            else if (open.Remove(key, out var started))
                stops.Add(new AuditStop(what, change.Stage, started.By, started.At, started.Reason, change.By, change.At));
        }
        stops.AddRange(open.Select(o => new AuditStop(o.Key.What, o.Key.Scope, o.Value.By, o.Value.At, o.Value.Reason, null, null)));
        return stops
            .Where(s => s.OnAt <= to && (s.OffAt ?? DateTimeOffset.MaxValue) >= from)
            .Where(s => s.What == "stage paused" || Concerns(s.Scope, tenantId, tier))
            .OrderBy(s => s.OnAt)
            .ToList();
    }

    private static bool Concerns(string scope, string? tenantId, Tier? tier) =>
        scope == HoldScope.All || (tenantId is not null && scope == HoldScope.Tenant(tenantId)) || (tier is { } t && scope == HoldScope.ForTier(t));
}
