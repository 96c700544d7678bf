using System.Text.RegularExpressions;
using Grains.Pipeline;
using Grains.Tenants;

namespace Grains.Guardrails;

/// <summary>
/// A scored toxicity detector over five categories (insult, threat, self-harm, sexual, hate).
/// Each matched term carries a weight; the score combines them as independent evidence,
/// 1 − Π(1 − wᵢ), so one strong term or several mild ones raise it. Above the tenant's review
/// threshold (default 0.7) the message goes to a person; above the block threshold it is refused.
/// </summary>
public sealed partial class ToxicityDetector : IGuardrail
{
    private static readonly (string Category, double Weight, Regex Pattern)[] Terms =
    [
        ("threat", 0.95, new(@"\b(i('| wi)ll|gonna|going to)\s+(kill|hurt|shoot|stab|find)\s+(you|u|your)\b", RegexOptions.IgnoreCase | RegexOptions.Compiled)),
        ("threat", 0.8, new(@"\b(burn (down )?your|you('| wi)ll (regret|pay for) (this|it)|watch your back)\b", RegexOptions.IgnoreCase | RegexOptions.Compiled)),
        ("self-harm", 0.95, new(@"\b(kill myself|end my life|suicide|want to die|hurt myself|self[- ]harm)\b", RegexOptions.IgnoreCase | RegexOptions.Compiled)),
        ("hate", 0.9, new(@"\b(all|those|these|you)\s+(immigrants|foreigners|muslims|jews|christians|gays|blacks|whites|women|men)\s+(are|should)\s+(scum|animals|vermin|die|be banned|inferior)\b", RegexOptions.IgnoreCase | RegexOptions.Compiled)),
        ("sexual", 0.85, new(@"\b(nudes?|sex(ual|y)? (chat|favou?rs?)|porn|naked pic(ture)?s?)\b", RegexOptions.IgnoreCase | RegexOptions.Compiled)),
        ("insult", 0.55, new(@"\b(idiot|moron|stupid|dumb|imbecile|loser|pathetic|worthless|useless piece)\b", RegexOptions.IgnoreCase | RegexOptions.Compiled)),
        ("insult", 0.7, new(@"\b(fuck(ing|er)?|shit(ty)?|bastard|asshole|bitch|cunt|dickhead)\b", RegexOptions.IgnoreCase | RegexOptions.Compiled)),
        ("insult", 0.5, new(@"\b(shut up|go to hell|screw you|piss off)\b", RegexOptions.IgnoreCase | RegexOptions.Compiled)),
    ];

    public string Name => "toxicity";

    /// <summary>The score in [0,1] and the categories that contributed.</summary>
    public static (double Score, IReadOnlyList<string> Categories) Score(string text)
    {
        var remaining = 1.0;
        var categories = new List<string>();
        foreach (var (category, weight, pattern) in Terms)
        {
            var hits = pattern.Count(text);
            if (hits == 0) continue;
            categories.Add(category);
            // Repeats add evidence with diminishing weight.
            for (var i = 0; i < Math.Min(hits, 3); i++) remaining *= 1 - weight / (i + 1);
        }
        // Shouting adds a little.
        var letters = text.Count(char.IsLetter);
        if (categories.Count > 0 && letters > 10 && text.Count(char.IsUpper) > letters * 0.7) remaining *= 0.8;
        return (Math.Round(1 - remaining, 3), categories.Distinct().ToList());
    }

    public Verdict? Check(TenantProfile tenant, string text)
    {
        var (score, categories) = Score(text);
        if (score < tenant.Policy.ToxicityReviewAbove) return null;
        var what = string.Join(", ", categories);
        // Someone who may be in danger gets a person, not a refusal.
        if (categories.Contains("self-harm"))
            return new Verdict("", VerdictDecision.Hold, "toxicity.self-harm", $"possible self-harm ({score:0.00})",
                "It sounds like you're going through a lot. If you are in immediate danger, please call your local emergency number. A member of our team will reach out to you.", score, Name);
        return score >= tenant.Policy.ToxicityBlockAbove
            ? new Verdict("", VerdictDecision.Block, "toxicity.block", $"toxicity {score:0.00} ({what})",
                "I'm sorry, I can't continue with messages like that. If you need help, I'm here when you're ready.", score, Name)
            : new Verdict("", VerdictDecision.Hold, "toxicity.review", $"toxicity {score:0.00} ({what}) is above the review threshold {tenant.Policy.ToxicityReviewAbove:0.00}",
                "Thanks for your message — a member of our team will get back to you.", score, Name);
    }
}
