using System.Globalization;
using Grains.Control;
using Grains.Guardrails;
using Grains.Pipeline;

namespace Grains.Marketing;

/// <summary>
/// Step 7 (combine pitch, KPIs and availability into the message the customer gets) and step 8's judgement (what
/// makes it risky enough for a person to look first).
/// </summary>
public static class MessageComposer
{
    public static string Compose(Lead lead)
    {
        var pitch = (lead.Pitch ?? "").TrimEnd();
        var available = lead.Availability.Where(a => a.Available).ToList();
        if (available.Count == 0) return pitch;
        var lines = available.Select(a => a.InStock is { } n
            ? string.Create(CultureInfo.InvariantCulture, $"- {a.Product}: in stock ({n}){(a.DeliveryEstimate is { } d ? $", delivery in {d}" : "")}")
            : $"- {a.Product}: available{(a.DeliveryEstimate is { } e ? $", delivery in {e}" : "")}");
        // Before the sign-off, when the pitch has one ("Kind regards," …).
        var signOff = pitch.LastIndexOf("\n\nKind regards", StringComparison.Ordinal);
        var availability = "Availability today:\n" + string.Join("\n", lines);
        return signOff < 0 ? $"{pitch}\n\n{availability}" : $"{pitch[..signOff]}\n\n{availability}{pitch[signOff..]}";
    }

    /// <summary>Why the message must wait for a person (empty: it goes straight on).</summary>
    public static IReadOnlyList<string> Risks(Lead lead, GuardrailPolicy policy, bool hardStop)
    {
        var risks = new List<string>();
        if (hardStop) risks.Add("hard stop: every message of this tenant is held for approval");
        if (lead.Kpis?.DiscountPercent is { } discount && (double)discount > policy.MaxDiscountPercent)
            risks.Add(string.Create(CultureInfo.InvariantCulture, $"discount: the pitch promises {discount}% (the limit is {policy.MaxDiscountPercent}%)"));
        foreach (var missing in lead.Availability.Where(a => !a.Available))
            risks.Add($"unavailable: the pitch promises the {missing.Product}, which is not available");
        if (lead.AvailabilityMissing is { } why) risks.Add("availability unknown: " + why);
        if (lead.Verdict is { Decision: not (VerdictDecision.Allow or VerdictDecision.Rewrite) } v)
            risks.Add($"guardrail: {v.Stage} {v.Decision.ToString().ToLowerInvariant()} by {v.Rule} — {v.Reason}");
        foreach (var held in lead.Concerns.Where(c => c.Decision == VerdictDecision.Hold && c != lead.Verdict))
            risks.Add($"guardrail hold: {held.Stage} {held.Rule} — {held.Reason}");
        return risks.Distinct().ToList();
    }

    /// <summary>Whether the tenant's answers are held (the hard stop) — the same scopes as the chat's.</summary>
    public static bool HardStop(IReadOnlyCollection<string> holds, Lead lead) => HoldScope.Applies(holds, lead.TenantId, lead.Tier);
}
