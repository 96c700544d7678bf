using System.Globalization;
using System.Text.RegularExpressions;
using Grains.Pipeline;
using Grains.Tenants;

namespace Grains.Marketing;

/// <summary>
/// What the KPI analyzer (step 5) measures of a pitch, deterministically: length in words, Flesch reading ease,
/// a lexicon sentiment in [-1, 1], the catalog products it names, a discount it promises, and a lead score (0–100)
/// from what the lead told us and what we could offer.
/// </summary>
public static partial class LeadKpiAnalyzer
{
    private static readonly string[] Positive = ["great", "glad", "happy", "perfect", "ideal", "love", "enjoy", "welcome", "best", "comfortable", "reliable", "thank"];
    private static readonly string[] Negative = ["sorry", "unfortunately", "nothing", "not", "no", "problem", "difficult", "expensive", "cannot", "can't"];

    public static (LeadKpis Kpis, IReadOnlyList<string> Products) Analyze(Lead lead, TenantProfile tenant)
    {
        var pitch = lead.Pitch ?? "";
        var words = Words().Matches(pitch).Select(m => m.Value.ToLowerInvariant()).ToList();
        var sentences = Math.Max(1, Sentences().Count(pitch));
        var syllables = words.Sum(Syllables);
        var ease = words.Count == 0 ? 0 : 206.835 - 1.015 * words.Count / sentences - 84.6 * syllables / words.Count;
        var tone = words.Count(Positive.Contains) - words.Count(Negative.Contains);
        var sentiment = Math.Clamp(tone / Math.Max(3.0, words.Count / 10.0), -1, 1);
        var products = tenant.Catalog.Where(c => pitch.Contains(c.Name, StringComparison.OrdinalIgnoreCase)).Select(c => c.Name).ToList();
        decimal? discount = Percent().Matches(pitch).Select(m => decimal.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty().Max() is var d and > 0 ? d : null;
        var score = 20
                    + (lead.Tier switch { Tier.Enterprise => 25, Tier.Pro => 15, _ => 5 })
                    + (string.IsNullOrWhiteSpace(lead.Company) ? 0 : 15)
                    + Math.Min(20, products.Count * 10)
                    + (lead.Interest.Length >= 40 ? 10 : 5)
                    + (sentiment > 0 ? 10 : 0);
        return (new LeadKpis(words.Count, Math.Round(ease, 1), Math.Round(sentiment, 2), Math.Clamp(score, 0, 100), discount), products);
    }

    private static int Syllables(string word)
    {
        var groups = Vowels().Count(word);
        if (word.EndsWith('e') && groups > 1) groups--;
        return Math.Max(1, groups);
    }

    [GeneratedRegex(@"[\p{L}\p{N}'’-]+")]
    private static partial Regex Words();

    [GeneratedRegex(@"[.!?]+(\s|$)")]
    private static partial Regex Sentences();

    [GeneratedRegex("[aeiouyäöü]+")]
    private static partial Regex Vowels();

    [GeneratedRegex(@"(?<n>\d{1,3}(\.\d+)?)\s?(%|percent|per cent)", RegexOptions.IgnoreCase)]
    private static partial Regex Percent();
}
