using System.Text.RegularExpressions;
using Grains.Pipeline;
using Grains.Tenants;

namespace Grains.Guardrails;

/// <summary>
/// Keeps the assistant on the tenant's business. On-topic when the message is near the tenant's
/// allowed examples (TF-IDF nearest neighbours) or names a word of its vocabulary, and not nearer a
/// blocked topic; short greetings pass. A tenant with no topics and no vocabulary is unrestricted.
/// </summary>
public sealed partial class TopicDetector : IGuardrail
{
    private static readonly HashSet<string> SmallTalk = new(StringComparer.OrdinalIgnoreCase)
    {
        "hi", "hello", "hey", "thanks", "thank", "bye", "goodbye", "morning", "afternoon", "evening", "ok", "okay", "yes", "no", "help",
    };

    private static readonly TopicClassifier Background = new(OffTopicBackground.Topics, new Dictionary<string, IReadOnlyList<string>>());

    // Built once per profile instance, not per message (profiles are immutable; in a silo the stages share one).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<TenantProfile, HashSet<string>> Vocabularies = new();

    public string Name => "topic";

    public Verdict? Check(TenantProfile tenant, string text)
    {
        var policy = tenant.Policy;
        var classifier = TopicClassifier.For(policy);
        if (classifier.IsEmpty && tenant.TopicVocabulary.Count == 0 && tenant.Catalog.Count == 0) return null;

        var words = Words().Matches(text).Select(m => m.Value.ToLowerInvariant()).ToList();
        if (words.Count > 0 && words.Count <= 4 && words.All(w => SmallTalk.Contains(w) || w.Length <= 2)) return null;

        var match = classifier.Classify(text);
        if (match.Blocked is not null && match.BlockedScore >= policy.OnTopicThreshold && match.BlockedScore > match.AllowedScore)
            return Off(tenant, $"closest to blocked topic '{match.Blocked}' ({match.BlockedScore:0.00})", 1 - match.AllowedScore);

        // Naming the tenant's own vocabulary (a model, a product word) is on-topic.
        var vocabulary = Vocabularies.GetValue(tenant, t => t.TopicVocabulary
            .Concat(t.Catalog.SelectMany(i => Words().Matches(i.Name + " " + i.Category).Select(m => m.Value)))
            .Select(v => v.ToLowerInvariant()).ToHashSet());
        if (words.Any(w => vocabulary.Contains(w) || (w.EndsWith('s') && vocabulary.Contains(w[..^1])))) return null;

        var background = Background.Classify(text);
        if (!classifier.IsEmpty && background.AllowedScore > match.AllowedScore + policy.OffTopicMargin && background.AllowedScore >= policy.OnTopicThreshold)
            return Off(tenant, $"closer to everyday '{background.Allowed}' requests ({background.AllowedScore:0.00}) than to {tenant.Name}'s topics ({match.AllowedScore:0.00})", 1 - match.AllowedScore);
        if (match.AllowedScore >= policy.OnTopicThreshold) return null;
        if (words.Count > 0 && words.Count <= 4 && words.Any(SmallTalk.Contains)) return null;
        return Off(tenant, match.Allowed is null
            ? $"shares no words with {tenant.Name}'s topics"
            : $"nearest allowed topic '{match.Allowed}' scores {match.AllowedScore:0.00}, below {policy.OnTopicThreshold:0.00}", 1 - match.AllowedScore);
    }

    private static Verdict Off(TenantProfile tenant, string reason, double score) =>
        new("", VerdictDecision.Block, "topic.off-topic", reason,
            $"I can only help with questions about {tenant.Business} — {tenant.Name}'s products and services.", Math.Round(Math.Clamp(score, 0, 1), 3), "topic");

    [GeneratedRegex(@"[\p{L}\p{N}][\p{L}\p{N}\-']*")]
    private static partial Regex Words();
}
