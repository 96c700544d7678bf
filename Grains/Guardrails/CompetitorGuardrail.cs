using System.Text.RegularExpressions;
using Grains.Pipeline;
using Grains.Tenants;

namespace Grains.Guardrails;

/// <summary>An answer that names a competitor ("You might like a Porsche instead") is withheld and flagged.</summary>
public sealed class CompetitorGuardrail : IGuardrail
{
    public string Name => "competitor";

    public Verdict? Check(TenantProfile tenant, string text)
    {
        var named = tenant.Competitors.FirstOrDefault(c =>
            Regex.IsMatch(text, $@"\b{Regex.Escape(c)}\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50)));
        return named is null
            ? null
            : new Verdict("", VerdictDecision.Flag, "brand.competitor-mention", $"answer mentions competitor '{named}'", tenant.FallbackAnswer);
    }
}
