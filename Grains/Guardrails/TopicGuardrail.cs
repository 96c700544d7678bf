using System.Text.RegularExpressions;
using Grains.Pipeline;
using Grains.Tenants;

namespace Grains.Guardrails;

/// <summary>
/// Keeps the assistant on the tenant's business: a message must share a word with the tenant's
/// vocabulary or catalog ("Write a romantic poem" shares none with a dealership). Greetings pass.
/// The trained topic classifier replaces this keyword check in the guardrail engine.
/// </summary>
public sealed partial class TopicGuardrail : IGuardrail
{
    private static readonly HashSet<string> SmallTalk = new(StringComparer.OrdinalIgnoreCase)
    {
        "hi", "hello", "hey", "thanks", "thank", "bye", "goodbye", "morning", "afternoon", "evening", "ok", "okay", "yes", "no", "help",
    };

    public string Name => "topic";

    public Verdict? Check(TenantProfile tenant, string text)
    {
        var words = Words().Matches(text).Select(m => m.Value.ToLowerInvariant()).ToList();
        if (words.Count == 0) return Off(tenant, "the message has no words");
        var vocabulary = tenant.TopicVocabulary
            .Concat(tenant.Catalog.SelectMany(i => Words().Matches(i.Name + " " + i.Category).Select(m => m.Value)))
            .Select(w => w.ToLowerInvariant())
            .ToHashSet();
        if (words.Any(vocabulary.Contains)) return null;
        if (words.Count <= 4 && words.Any(SmallTalk.Contains)) return null;
        return Off(tenant, $"shares no words with {tenant.Name}'s topics");
    }

    private static Verdict Off(TenantProfile tenant, string reason) =>
        new("", VerdictDecision.Block, "topic.off-topic", reason,
            $"I can only help with questions about {tenant.Business} — {tenant.Name}'s products and services.");

    [GeneratedRegex(@"[\p{L}\p{N}][\p{L}\p{N}\-']*")]
    private static partial Regex Words();
}
