using System.Text.RegularExpressions;
using Grains.Pipeline;
using Grains.Tenants;

namespace Grains.Guardrails;

/// <summary>
/// Brand rules for answers: never recommend another brand ("You might like a Porsche instead") and
/// never disparage the tenant's own brand or category ("I would never buy a European car" for a
/// Mercedes dealer). The answer is withheld and the tenant's fallback sent.
/// </summary>
public sealed partial class BrandDetector : IGuardrail
{
    public string Name => "brand";

    public Verdict? Check(TenantProfile tenant, string text)
    {
        var competitor = tenant.Policy.Competitors.FirstOrDefault(c =>
            Regex.IsMatch(text, $@"\b{Regex.Escape(c)}\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50)));
        if (competitor is not null)
        {
            var recommends = Recommending().IsMatch(text);
            return new Verdict("", VerdictDecision.Flag, recommends ? "brand.competitor-recommendation" : "brand.competitor-mention",
                recommends ? $"answer recommends competitor '{competitor}'" : $"answer mentions competitor '{competitor}'",
                tenant.FallbackAnswer, recommends ? 1.0 : 0.8, Name);
        }

        foreach (var term in tenant.Policy.BrandTerms)
        {
            var pattern = $@"\b(never (buy|choose|trust|recommend)|avoid|stay away from|don'?t (buy|trust)|wouldn'?t (buy|recommend)|worse than|overpriced|unreliable|terrible|junk|rip[- ]?off)\b[^.!?]{{0,40}}\b{Regex.Escape(term)}\b|\b{Regex.Escape(term)}\b[^.!?]{{0,40}}\b(are|is) (overpriced|unreliable|terrible|junk|a rip[- ]?off|not worth)";
            var m = Regex.Match(text, pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50));
            if (m.Success)
                return new Verdict("", VerdictDecision.Flag, "brand.disparagement", $"answer disparages '{term}': \"{m.Value}\"", tenant.FallbackAnswer, 0.9, Name);
        }
        return null;
    }

    [GeneratedRegex(@"\b(might (like|prefer)|instead|better (choice|option|off)|recommend|suggest|consider|go (for|with)|look at)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Recommending();
}
