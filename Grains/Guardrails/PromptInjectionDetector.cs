using System.Text;
using System.Text.RegularExpressions;
using Grains.Pipeline;
using Grains.Tenants;

namespace Grains.Guardrails;

/// <summary>
/// Attempts to take over the assistant: overriding its instructions, role-play to escape them,
/// extracting the system prompt, or hiding any of these in an encoded payload (base64, hex).
/// Scored like toxicity (independent evidence); refused above the policy's threshold.
/// </summary>
public sealed partial class PromptInjectionDetector : IGuardrail
{
    private static readonly (string Kind, double Weight, Regex Pattern)[] Signals =
    [
        // "Ignore the formatting rules I gave earlier" is a customer changing their own request, not an override.
        ("instruction-override", 0.9, new(@"\b(ignore|disregard|forget|override|bypass)\b.{0,30}\b(instructions?|rules|prompts?|guidelines|directives|polic(y|ies)|restrictions)\b(?!\s+(I|we)\s+(gave|wrote|sent|said|mentioned))", RegexOptions.IgnoreCase | RegexOptions.Compiled)),
        ("instruction-override", 0.6, new(@"\b(new|updated|real) (instructions|rules)\s*:", RegexOptions.IgnoreCase | RegexOptions.Compiled)),
        // Harmless role-play ("pretend you're a tour guide") is left to the injection head; these phrases are not.
        ("role-play", 0.7, new(@"\b(pretend (to be|you are|you're) (an? )?(unrestricted|unfiltered|evil|uncensored|jailbroken|ai without)|act as (an? )?(unrestricted|unfiltered|evil|uncensored)|you are now (an? )?(unrestricted|unfiltered|free|DAN|jailbroken)|from now on you (are|will) (no longer|not)|roleplay as (an? )?(unrestricted|evil)|developer mode|jailbreak|\bDAN\b|do anything now)", RegexOptions.IgnoreCase | RegexOptions.Compiled)),
        ("prompt-extraction", 0.85, new(@"\b(system|hidden|initial|original) (prompt|instructions|message)\b|\b(reveal|print|show|repeat|output|tell me) (me )?(your|the) (system |hidden |initial )?(prompt|instructions)\b", RegexOptions.IgnoreCase | RegexOptions.Compiled)),
        ("prompt-extraction", 0.5, new(@"\bwhat (were|are) you told\b|\bbeginning of (this|the) conversation\b", RegexOptions.IgnoreCase | RegexOptions.Compiled)),
    ];

    public string Name => "prompt-injection";

    public static (double Score, IReadOnlyList<string> Kinds) Score(string text)
    {
        var remaining = 1.0;
        var kinds = new List<string>();
        foreach (var candidate in new[] { text }.Concat(DecodedPayloads(text)))
        {
            foreach (var (kind, weight, pattern) in Signals)
            {
                if (!pattern.IsMatch(candidate)) continue;
                kinds.Add(candidate == text ? kind : "encoded-" + kind);
                remaining *= 1 - weight;
            }
        }
        return (Math.Round(1 - remaining, 3), kinds.Distinct().ToList());
    }

    public Verdict? Check(TenantProfile tenant, string text)
    {
        var (score, kinds) = Score(text);
        if (score < tenant.Policy.InjectionBlockAbove) return null;
        return new Verdict("", VerdictDecision.Block, "injection." + kinds[0], $"injection score {score:0.00} ({string.Join(", ", kinds)})",
            "Sorry, I can't do that. I'm happy to help with questions about " + tenant.Business + ".", score, Name);
    }

    /// <summary>Base64 or hex runs that decode to readable text: instructions smuggled past a filter.</summary>
    private static IEnumerable<string> DecodedPayloads(string text)
    {
        foreach (Match m in Base64().Matches(text))
        {
            var decoded = TryDecode(() => Convert.FromBase64String(m.Value));
            if (decoded is not null) yield return decoded;
        }
        foreach (Match m in Hex().Matches(text))
        {
            var decoded = TryDecode(() => Convert.FromHexString(m.Value));
            if (decoded is not null) yield return decoded;
        }
    }

    private static string? TryDecode(Func<byte[]> decode)
    {
        try
        {
            var s = Encoding.UTF8.GetString(decode());
            return s.Length > 0 && s.Count(c => char.IsLetterOrDigit(c) || char.IsWhiteSpace(c) || char.IsPunctuation(c)) > s.Length * 0.9 ? s : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"[A-Za-z0-9+/]{24,}={0,2}")]
    private static partial Regex Base64();

    [GeneratedRegex(@"\b(?:[0-9a-fA-F]{2}){16,}\b")]
    private static partial Regex Hex();
}
