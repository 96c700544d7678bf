using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Grains.Guardrails;

/// <summary>
/// Nearest-neighbour topic classifier over TF-IDF vectors (words and word pairs, lightly stemmed),
/// built once per policy version from the tenant's example utterances. A label's score is the
/// cosine similarity of the message to its nearest example of that label (1-NN: tenants give a
/// handful of examples per topic, and averaging several neighbours diluted single strong matches).
/// </summary>
public sealed partial class TopicClassifier
{
    // Policies arrive as fresh copies when the tenant grain lives on another silo: cache per instance,
    // and behind it per content, so a classifier is built once per distinct set of examples.
    private static readonly ConditionalWeakTable<GuardrailPolicy, TopicClassifier> ByInstance = new();
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, TopicClassifier> ByContent = new();
    private static readonly HashSet<string> StopWords =
    [
        "a", "an", "the", "and", "or", "but", "is", "are", "was", "were", "be", "been", "am", "do", "does", "did", "to", "of", "in",
        "on", "at", "for", "with", "by", "from", "it", "its", "this", "that", "these", "those", "i", "me", "my", "you", "your", "we",
        "our", "us", "can", "could", "would", "should", "will", "what", "which", "who", "how", "when", "where", "why", "there", "here",
        "please", "tell", "about", "any", "some", "have", "has", "had", "so", "if", "as", "just", "get", "much", "many", "want", "like",
    ];

    private readonly Dictionary<string, double> _idf;
    private readonly List<(string Label, bool Allowed, Dictionary<string, double> Vector)> _examples = [];

    public TopicClassifier(IReadOnlyDictionary<string, IReadOnlyList<string>> allowed, IReadOnlyDictionary<string, IReadOnlyList<string>> blocked)
    {
        var documents = allowed.SelectMany(kv => kv.Value.Select(e => (kv.Key, true, Features(e))))
            .Concat(blocked.SelectMany(kv => kv.Value.Select(e => (kv.Key, false, Features(e)))))
            .ToList();
        var df = new Dictionary<string, int>();
        foreach (var (_, _, features) in documents)
            foreach (var f in features.Distinct())
                df[f] = df.GetValueOrDefault(f) + 1;
        _idf = df.ToDictionary(kv => kv.Key, kv => Math.Log((1.0 + documents.Count) / (1.0 + kv.Value)) + 1.0);
        foreach (var (label, isAllowed, features) in documents)
            _examples.Add((label, isAllowed, Vectorize(features)));
    }

    public static TopicClassifier For(GuardrailPolicy policy) =>
        ByInstance.GetValue(policy, p =>
        {
            var key = ContentKey(p);
            if (ByContent.Count > 1000) ByContent.Clear(); // bounded: tenants × versions in use
            return ByContent.GetOrAdd(key, _ => new TopicClassifier(p.AllowedTopics, p.BlockedTopics));
        });

    private static string ContentKey(GuardrailPolicy policy)
    {
        var text = new System.Text.StringBuilder();
        foreach (var (kind, topics) in new[] { ("+", policy.AllowedTopics), ("-", policy.BlockedTopics) })
            foreach (var (name, examples) in topics.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                text.Append(kind).Append(name).Append('\u0001').AppendJoin('\u0002', examples).Append('\u0003');
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text.ToString())));
    }

    public bool IsEmpty => _examples.Count == 0;

    /// <summary>The best allowed and best blocked topic with their scores (0 when there is none).</summary>
    public TopicMatch Classify(string text)
    {
        var query = Vectorize(Features(text));
        var byLabel = _examples
            .Select(e => (e.Label, e.Allowed, Similarity: Cosine(query, e.Vector)))
            .GroupBy(e => (e.Label, e.Allowed))
            .Select(g => (g.Key.Label, g.Key.Allowed, Score: g.Max(x => x.Similarity)))
            .ToList();
        var allowed = byLabel.Where(x => x.Allowed).OrderByDescending(x => x.Score).FirstOrDefault();
        var blocked = byLabel.Where(x => !x.Allowed).OrderByDescending(x => x.Score).FirstOrDefault();
        return new TopicMatch(allowed.Label, allowed.Score, blocked.Label, blocked.Score, query.Count > 0);
    }

    private Dictionary<string, double> Vectorize(List<string> features)
    {
        var vector = new Dictionary<string, double>();
        foreach (var f in features)
            if (_idf.TryGetValue(f, out var idf)) vector[f] = vector.GetValueOrDefault(f) + idf;
        var norm = Math.Sqrt(vector.Values.Sum(v => v * v));
        if (norm > 0) foreach (var key in vector.Keys.ToList()) vector[key] /= norm;
        return vector;
    }

    private static double Cosine(Dictionary<string, double> a, Dictionary<string, double> b)
    {
        if (a.Count > b.Count) (a, b) = (b, a);
        var sum = 0.0;
        foreach (var (k, v) in a)
            if (b.TryGetValue(k, out var w)) sum += v * w;
        return sum;
    }

    internal static List<string> Features(string text)
    {
        var words = Words().Matches(text.ToLowerInvariant()).Select(m => Stem(m.Value)).Where(w => !StopWords.Contains(w)).ToList();
        var features = new List<string>(words);
        for (var i = 0; i + 1 < words.Count; i++) features.Add(words[i] + " " + words[i + 1]);
        return features;
    }

    private static string Stem(string word) => word switch
    {
        { Length: > 5 } when word.EndsWith("ing", StringComparison.Ordinal) => word[..^3],
        { Length: > 4 } when word.EndsWith("ies", StringComparison.Ordinal) => word[..^3] + "y",
        { Length: > 4 } when word.EndsWith("ed", StringComparison.Ordinal) => word[..^2],
        { Length: > 3 } when word.EndsWith('s') && !word.EndsWith("ss", StringComparison.Ordinal) => word[..^1],
        _ => word,
    };

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Words();
}

public readonly record struct TopicMatch(string? Allowed, double AllowedScore, string? Blocked, double BlockedScore, bool HasWords);
