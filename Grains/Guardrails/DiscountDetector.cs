using System.Globalization;
using System.Text.RegularExpressions;
using Grains.Pipeline;
using Grains.Tenants;

namespace Grains.Guardrails;

/// <summary>
/// A discount promised in an answer, with its amount (percent or currency). Above the tenant's
/// threshold the answer is held for the discount team's approval.
/// </summary>
public sealed partial class DiscountDetector : IGuardrail
{
    public string Name => "discount";

    public static (double? Percent, decimal? Amount) Promised(string text)
    {
        double? percent = null;
        decimal? amount = null;
        foreach (Match m in Percent().Matches(text))
            percent = Math.Max(percent ?? 0, double.Parse(m.Groups["n"].Value.Replace(',', '.'), CultureInfo.InvariantCulture));
        foreach (Match m in Money().Matches(text))
        {
            var raw = (m.Groups["a"].Success ? m.Groups["a"] : m.Groups["b"]).Value.Replace(",", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
            if (decimal.TryParse(raw, NumberStyles.Number, CultureInfo.InvariantCulture, out var value)) amount = Math.Max(amount ?? 0, value);
        }
        return (percent, amount);
    }

    public Verdict? Check(TenantProfile tenant, string text)
    {
        var (percent, amount) = Promised(text);
        var policy = tenant.Policy;
        if (percent > policy.MaxDiscountPercent)
            return Hold(tenant, $"promises a {percent:0.#}% discount (threshold {policy.MaxDiscountPercent:0.#}%)", Math.Min(1, percent.Value / 100 + 0.5));
        if (amount > policy.MaxDiscountAmount)
            return Hold(tenant, $"promises a {tenant.Currency}{amount:#,0.##} discount (threshold {tenant.Currency}{policy.MaxDiscountAmount:#,0})", 0.9);
        return null;
    }

    private Verdict Hold(TenantProfile tenant, string reason, double score) =>
        new("", VerdictDecision.Hold, "discount.above-threshold", reason,
            "Thanks for your interest! A member of our sales team will confirm the best offer for you shortly.", Math.Round(score, 3), Name);

    [GeneratedRegex(@"(?<n>\d{1,2}(?:[.,]\d+)?)\s?(?:%|percent|per cent)\s*(?:off|discount|reduction|cheaper|rebate)|(?:discount|reduction|rebate|off) of (?<n>\d{1,2}(?:[.,]\d+)?)\s?(?:%|percent)", RegexOptions.IgnoreCase)]
    private static partial Regex Percent();

    [GeneratedRegex(@"(?:[€$£]\s?(?<a>\d[\d,\s]*(?:\.\d+)?)|(?<b>\d[\d,]*(?:\.\d+)?)\s?(?:€|\$|£|euros?|dollars?|pounds?))\s*(?:off|discount|cheaper|reduction|rebate|cashback)", RegexOptions.IgnoreCase)]
    private static partial Regex Money();
}
