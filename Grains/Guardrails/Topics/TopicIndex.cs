using System.Numerics.Tensors;
using Grains.Guardrails.Embeddings;

namespace Grains.Guardrails.Topics;

/// <summary>One example utterance and how near a message is to it.</summary>
[GenerateSerializer, Immutable]
public sealed record NearExample([property: Id(0)] string Topic, [property: Id(1)] string Text, [property: Id(2)] double Similarity);

/// <summary>How near a message is to a tenant's allowed and blocked topics.</summary>
public sealed record TopicScore(
    string? AllowedTopic, double AllowedScore, IReadOnlyList<NearExample> NearestAllowed,
    string? BlockedTopic, double BlockedScore, IReadOnlyList<NearExample> NearestBlocked);

/// <summary>
/// A tenant's topic examples as unit vectors, built once per distinct set of examples. A message's
/// score for a side (allowed or blocked) is that of its best topic, a topic's score the mean cosine
/// similarity to its k nearest examples: a handful of neighbours agree more reliably than the single
/// nearest one, and a message between several topics, in none of them, scores lower than one inside
/// a topic (CLINC150 val, README). With few examples k shrinks to what the topic has.
/// </summary>
public sealed class TopicIndex
{
    private readonly Side _allowed;
    private readonly Side _blocked;

    private TopicIndex(Side allowed, Side blocked)
    {
        _allowed = allowed;
        _blocked = blocked;
    }

    public int AllowedCount => _allowed.Count;

    public int BlockedCount => _blocked.Count;

    public bool IsEmpty => _allowed.Count == 0 && _blocked.Count == 0;

    /// <summary>The topic named for the tenant's own products when they count as allowed examples.</summary>
    public const string CatalogTopic = "catalog";

    public static Task<TopicIndex> BuildAsync(GuardrailPolicy policy, TextEmbedder embedder, CancellationToken cancellationToken = default) =>
        BuildAsync(policy, [], embedder, cancellationToken);

    /// <summary>
    /// The policy's examples and, when the tenant restricts topics at all, its catalog: asking about a
    /// product the tenant sells ("What does the Harbor Visa cost?") is on-topic whatever the examples say.
    /// </summary>
    public static async Task<TopicIndex> BuildAsync(GuardrailPolicy policy, IReadOnlyList<Tenants.CatalogItem> catalog, TextEmbedder embedder, CancellationToken cancellationToken = default)
    {
        var allowed = Flatten(policy.AllowedTopics);
        if (allowed.Count > 0)
            allowed.AddRange(catalog.SelectMany(i => new[] { (CatalogTopic, $"{i.Name}"), (CatalogTopic, $"{i.Name}: {i.Description}") }));
        var blocked = Flatten(policy.BlockedTopics);
        var vectors = await embedder.EmbedManyAsync([.. allowed.Select(e => e.Text), .. blocked.Select(e => e.Text)], cancellationToken);
        return new TopicIndex(new Side(allowed, vectors.AsSpan(0, allowed.Count)), new Side(blocked, vectors.AsSpan(allowed.Count)));
    }

    private static List<(string Topic, string Text)> Flatten(IReadOnlyDictionary<string, IReadOnlyList<string>> topics) =>
        topics.SelectMany(kv => kv.Value.Where(e => !string.IsNullOrWhiteSpace(e)).Select(e => (kv.Key, e.Trim()))).ToList();

    public TopicScore Score(ReadOnlySpan<float> message, int neighbours, int show = 3)
    {
        var (allowedTopic, allowedScore, nearestAllowed) = _allowed.Score(message, neighbours, show, exclude: -1);
        var (blockedTopic, blockedScore, nearestBlocked) = _blocked.Score(message, neighbours, show, exclude: -1);
        return new TopicScore(allowedTopic, allowedScore, nearestAllowed, blockedTopic, blockedScore, nearestBlocked);
    }

    /// <summary>Each allowed example's score against the other allowed examples (leave one out): how on-topic messages score.</summary>
    public IReadOnlyList<double> LeaveOneOutAllowedScores(int neighbours)
    {
        var scores = new double[_allowed.Count];
        for (var i = 0; i < scores.Length; i++) scores[i] = _allowed.Score(_allowed.Vector(i), neighbours, 0, exclude: i).Score;
        return scores;
    }

    private sealed class Side
    {
        private readonly List<(string Topic, string Text)> _examples;
        private readonly float[] _matrix; // Count × dimensions, row-major
        private readonly int _dimensions;

        public Side(List<(string Topic, string Text)> examples, ReadOnlySpan<float[]> vectors)
        {
            _examples = examples;
            _dimensions = vectors.Length > 0 ? vectors[0].Length : 0;
            _matrix = new float[examples.Count * _dimensions];
            for (var i = 0; i < vectors.Length; i++) vectors[i].CopyTo(_matrix, i * _dimensions);
        }

        public int Count => _examples.Count;

        public ReadOnlySpan<float> Vector(int i) => _matrix.AsSpan(i * _dimensions, _dimensions);

        public (string? Topic, double Score, IReadOnlyList<NearExample> Nearest) Score(ReadOnlySpan<float> message, int neighbours, int show, int exclude)
        {
            if (Count == 0 || (Count == 1 && exclude == 0)) return (null, 0, []);
            if (message.Length != _dimensions)
                throw new EmbeddingUnavailableException($"the message vector has {message.Length} dimensions, the topic examples {_dimensions}: the embedding model changed");
            var similarities = new float[Count];
            for (var i = 0; i < Count; i++) similarities[i] = i == exclude ? float.NegativeInfinity : TensorPrimitives.Dot(Vector(i), message);
            var order = Enumerable.Range(0, Count).Where(i => i != exclude).OrderByDescending(i => similarities[i]).ToList();
            var nearest = order.Take(show).Select(i => new NearExample(_examples[i].Topic, _examples[i].Text, Math.Round(similarities[i], 3))).ToList();
            // The best topic by the mean of its own k nearest examples: a message between several
            // topics, near none of them in particular, scores lower than one that sits in a topic.
            var best = order.GroupBy(i => _examples[i].Topic)
                .Select(g => (Topic: g.Key, Score: g.Take(neighbours).Average(i => (double)similarities[i])))
                .MaxBy(t => t.Score);
            return (best.Topic, best.Score, nearest);
        }
    }
}
