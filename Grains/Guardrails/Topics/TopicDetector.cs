using System.Globalization;
using System.Text.RegularExpressions;
using Grains.Pipeline;

namespace Grains.Guardrails.Topics;

/// <summary>
/// Keeps the assistant on the tenant's business, learned from the tenant's example utterances: a
/// message is on-topic when its topic score (mean cosine similarity to the nearest allowed
/// examples) reaches the policy's threshold, and blocked-topic when it is nearer a blocked topic
/// than any allowed one and above the threshold there. A bare greeting or thanks passes. A tenant
/// with no topics is unrestricted. Every verdict names the nearest examples behind it.
/// </summary>
public sealed partial class TopicDetector(TopicIndexCache indexes, string modelName) : IVectorGuardrail
{
    private static readonly HashSet<string> SmallTalk = new(StringComparer.OrdinalIgnoreCase)
    {
        "hi", "hello", "hey", "hallo", "thanks", "thank", "you", "very", "much", "bye", "goodbye", "good", "morning", "afternoon",
        "evening", "ok", "okay", "great", "cheers", "there",
    };

    public string Name => "topic";

    public async ValueTask<Verdict?> CheckAsync(GuardrailContext context)
    {
        var policy = context.Tenant.Policy;
        if (policy.AllowedTopics.Count == 0 && policy.BlockedTopics.Count == 0) return null;
        var index = await indexes.GetAsync(context.Tenant).WaitAsync(context.CancellationToken);
        var score = index.Score(context.Embedding, policy.TopicNeighbours);
        context.Topic = score;

        var tenant = context.Tenant;
        var threshold = policy.OnTopicThreshold;
        if (score.BlockedTopic is not null && score.BlockedScore >= threshold && score.BlockedScore > score.AllowedScore)
            return Off(tenant, "topic.blocked", string.Create(CultureInfo.InvariantCulture,
                $"nearer blocked topic '{score.BlockedTopic}' ({score.BlockedScore:0.00}) than any allowed topic ({score.AllowedScore:0.00}); nearest: {Nearest(score.NearestBlocked)}"),
                score.BlockedScore);
        if (index.AllowedCount == 0 || score.AllowedScore >= threshold) return null;
        if (IsSmallTalk(context.Text)) return null;
        return Off(tenant, "topic.off-topic", string.Create(CultureInfo.InvariantCulture,
            $"topic score {score.AllowedScore:0.00} is below {threshold:0.00}; nearest allowed: {Nearest(score.NearestAllowed)}"),
            1 - score.AllowedScore);
    }

    private static string Nearest(IReadOnlyList<NearExample> examples) =>
        string.Join(", ", examples.Select(e => string.Create(CultureInfo.InvariantCulture, $"\"{e.Text}\" ({e.Topic}, {e.Similarity:0.00})")));

    /// <summary>A short message made only of greetings and thanks ("Hi there", "thanks a lot").</summary>
    public static bool IsSmallTalk(string text)
    {
        var words = Words().Matches(text).Select(m => m.Value).ToList();
        return words.Count is > 0 and <= 4 && words.All(w => SmallTalk.Contains(w) || w.Length <= 1 || w.Equals("a", StringComparison.OrdinalIgnoreCase) || w.Equals("lot", StringComparison.OrdinalIgnoreCase));
    }

    private Verdict Off(Tenants.TenantProfile tenant, string rule, string reason, double score) =>
        new("", VerdictDecision.Block, rule, reason,
            $"I can only help with questions about {tenant.Business} — {tenant.Name}'s products and services.",
            Math.Round(Math.Clamp(score, 0, 1), 3), Name, Model: modelName);

    [GeneratedRegex(@"[\p{L}\p{N}][\p{L}\p{N}\-']*")]
    private static partial Regex Words();
}
