using System.Globalization;

namespace Grains.Guardrails.Topics;

/// <summary>A proposed on-topic threshold and what it would do, with warnings about the examples behind it.</summary>
public sealed record ThresholdProposal(
    double Threshold, double ExamplesKept, double EverydayRejected, int Examples, string Explanation, IReadOnlyList<string> Warnings);

/// <summary>
/// Proposes a tenant's on-topic threshold from its own examples: each allowed example scored
/// against the others (leave one out) stands for on-topic messages, the built-in everyday requests
/// (<see cref="OffTopicBackground"/>) for off-topic ones; the proposal lies between the line that
/// best separates the two and the highest line keeping <see cref="TargetKept"/> of the examples.
/// Few examples, or examples close to everyday talk, are warned about.
/// </summary>
public static class TopicThresholdAdvisor
{
    public const int FewExamplesPerTopic = 5;

    /// <summary>Share of the tenant's own examples (left out one at a time) the proposed threshold keeps.</summary>
    public const double TargetKept = 0.98;

    /// <summary>Topics with too few examples to stand for what customers ask (shown as the admin types, no model needed).</summary>
    public static IReadOnlyList<string> ExampleWarnings(IReadOnlyDictionary<string, IReadOnlyList<string>> topics) =>
        topics.Where(kv => kv.Value.Count < FewExamplesPerTopic)
            .Select(kv => $"'{kv.Key}' has {kv.Value.Count} example{(kv.Value.Count == 1 ? "" : "s")}: give at least {FewExamplesPerTopic}, ideally 10–20 phrased the way customers ask, or its questions may be refused")
            .ToList();

    public static ThresholdProposal Propose(TopicIndex index, int neighbours, IReadOnlyList<float[]> everyday, IReadOnlyDictionary<string, IReadOnlyList<string>>? topics = null)
    {
        var warnings = topics is null ? [] : ExampleWarnings(topics).ToList();
        if (index.AllowedCount < 2)
            return new ThresholdProposal(new GuardrailPolicy().OnTopicThreshold, 0, 0, index.AllowedCount,
                "too few allowed examples to measure: the platform default is kept", [.. warnings, "add allowed examples: with fewer than 2 nothing can be measured"]);

        var on = index.LeaveOneOutAllowedScores(neighbours);
        var off = everyday.Select(v => index.Score(v, neighbours, show: 0).AllowedScore).ToList();
        // Two lines, and the proposal halfway between them: the middle of the range that best separates
        // the examples from everyday requests (Youden's J), and the highest line that still keeps
        // TargetKept of the examples. The first alone sits low for dense examples (everyday requests
        // score far below them), the second alone high for sparse ones (left-out neighbours are few).
        var grid = Enumerable.Range(20, 61).Select(i => i / 100.0)
            .Select(t => (T: t, J: on.Count(s => s >= t) / (double)on.Count + off.Count(s => s < t) / (double)off.Count - 1)).ToList();
        var bestJ = grid.Max(g => g.J);
        var plateau = grid.Where(g => g.J >= bestJ - 0.005).Select(g => g.T).ToList();
        var separating = (plateau.Min() + plateau.Max()) / 2;
        var sortedOn = on.Order().ToArray();
        var keeping = sortedOn[(int)Math.Floor((1 - TargetKept) * (sortedOn.Length - 1))];
        var best = Math.Round(Math.Clamp((separating + keeping) / 2, 0.2, 0.8), 2);
        var keptAt = on.Count(s => s >= best) / (double)on.Count;
        var rejectedAt = off.Count(s => s < best) / (double)off.Count;
        if (keptAt < 0.9)
            warnings.Add($"at {best:0.00} only {keptAt:P0} of the examples pass when left out: topics need more, or more varied, examples");
        if (rejectedAt < 0.9)
            warnings.Add($"at {best:0.00} {1 - rejectedAt:P0} of everyday off-topic requests would pass: the examples are close to everyday requests");
        return new ThresholdProposal(best, keptAt, rejectedAt, index.AllowedCount,
            string.Create(CultureInfo.InvariantCulture, $"keeps {keptAt:P0} of {on.Count} examples left out one at a time, rejects {rejectedAt:P0} of {off.Count} everyday requests"),
            warnings);
    }
}
