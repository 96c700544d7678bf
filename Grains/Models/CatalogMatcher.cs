using System.Collections.Concurrent;
using System.Numerics.Tensors;
using Grains.Guardrails.Embeddings;

namespace Grains.Models;

/// <summary>
/// Which catalog entries a question is about, in order of evidence: entries it names ("the C-Class", "AMG"), then
/// entries of a category it names ("an SUV") or sharing words with their descriptions ("a big boot"), then, with an
/// embedding model, the entry nearest in meaning if it is near enough. None is an answer too: the catalog has
/// nothing on it.
/// </summary>
internal sealed class CatalogMatcher(TextEmbedder? embedder)
{
    /// <summary>
    /// Cosine (all-MiniLM-L6-v2) between a question and an entry's "name (category): description" above which the
    /// entry is taken as what the question is about when no word of it matched; below, the catalog has nothing.
    /// </summary>
    public const float MeaningThreshold = 0.35f;

    private const int MaxEntries = 4;

    private static readonly HashSet<string> RangeWords =
        [.. Question.Of("model product option range item thing kind type choice everything all stuff selection catalog catalogue sell offer")];

    private readonly ConcurrentDictionary<string, float[]> _vectors = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<CatalogEntry>> MatchAsync(IReadOnlyList<CatalogEntry> catalog, Question question, CancellationToken cancellationToken)
    {
        var named = Named(catalog, question);
        if (named.Count > 0) return named;
        // A booking is about what it names, if anything ("book a test drive" is not about the GLC's all-wheel drive).
        if (question.IsBooking) return [];

        var scored = catalog.Select(e => (Entry: e, Score: WordScore(e, question))).Where(x => x.Score > 0).ToList();
        if (scored.Count > 0)
        {
            var best = scored.Max(x => x.Score);
            var top = scored.Where(x => x.Score == best).Select(x => x.Entry).ToList();
            // Several entries equally near in words ("which bike for commuting" → two bikes): meaning decides, unless
            // the customer asks for the range ("which bikes do you have").
            if (top.Count > 1 && embedder is not null && !AsksForRange(question))
                return [(await NearestAsync(top, question, cancellationToken)).Entry];
            return top.Take(MaxEntries).ToList();
        }

        // "What models do you have?": the whole range ("Do you sell motorbikes?" names something, and is not).
        if (AsksForRange(question) && question.ContentStems.All(RangeWords.Contains)) return catalog.Take(MaxEntries + 2).ToList();
        if (embedder is null) return [];
        var near = (await SimilaritiesAsync(catalog, question, cancellationToken)).Where(x => x.Similarity >= MeaningThreshold).ToList();
        // "What cars do you have?": every entry near enough, in catalog order; otherwise the nearest.
        return AsksForRange(question)
            ? near.Select(x => x.Entry).Take(MaxEntries + 2).ToList()
            : near.OrderByDescending(x => x.Similarity).Select(x => x.Entry).Take(1).ToList();
    }

    /// <summary>
    /// Entries the question names by a distinctive part of their name: not the brand most of them share, nor a
    /// category word ("Bike service" is not named by "bike" when bikes are a category).
    /// </summary>
    private static List<CatalogEntry> Named(IReadOnlyList<CatalogEntry> catalog, Question question)
    {
        var names = catalog.Select(e => Question.Of(e.Name)).ToList();
        var shared = names.SelectMany(n => n.Distinct()).GroupBy(w => w).Where(g => catalog.Count > 1 && g.Count() * 2 >= catalog.Count).Select(g => g.Key)
            .Concat(catalog.SelectMany(e => Question.Of(e.Category))).ToHashSet();
        return catalog
            .Select((entry, i) =>
            {
                var own = names[i].Where(w => !shared.Contains(w)).ToList();
                var phrase = own.Count > 0 && question.Mentions(string.Join(' ', own)) ? 10 : 0;
                var words = own.Count(w => w.Length > 1 && question.Stems.Contains(w) && !IsCommonWord(w));
                return (Entry: entry, Score: phrase + words);
            })
            .Where(x => x.Score > 0)
            .OrderByDescending(x => x.Score)
            .Take(MaxEntries)
            .Select(x => x.Entry)
            .ToList();
    }

    /// <summary>Name words that are ordinary English ("plan", "home", "account"): they name an entry only as part of its whole name.</summary>
    private static bool IsCommonWord(string word) => word is "plan" or "home" or "pro" or "plus" or "max" or "one" or "new" or "classic";

    private static int WordScore(CatalogEntry entry, Question question)
    {
        var category = Question.Of(entry.Category);
        var score = category.Count > 0 && (question.Mentions(entry.Category) || question.Stems.Contains(string.Concat(category))) ? 2 : 0;
        var description = Question.Of(entry.Description).ToHashSet();
        return score + question.ContentStems.Distinct().Count(description.Contains);
    }

    private static bool AsksForRange(Question question) =>
        question.Mentions("do you have") || question.Mentions("do you sell") || question.Mentions("do you offer") || question.Tokens.Contains("option");

    /// <summary>The entry nearest in meaning; when the embedding model fails, the first (words alone decide).</summary>
    private async Task<(CatalogEntry Entry, float Similarity)> NearestAsync(IReadOnlyList<CatalogEntry> entries, Question question, CancellationToken cancellationToken) =>
        (await SimilaritiesAsync(entries, question, cancellationToken)).MaxBy(x => x.Similarity);

    /// <summary>Each entry's cosine to the question; all 0 when the embedding model fails (then words alone decide).</summary>
    private async Task<List<(CatalogEntry Entry, float Similarity)>> SimilaritiesAsync(IReadOnlyList<CatalogEntry> entries, Question question, CancellationToken cancellationToken)
    {
        try
        {
            var asked = await embedder!.EmbedAsync(question.Text, cancellationToken);
            var missing = entries.Where(e => !_vectors.ContainsKey(e.Text)).Select(e => e.Text).Distinct().ToList();
            if (missing.Count > 0)
            {
                if (_vectors.Count > 10_000) _vectors.Clear(); // catalogs change rarely; a bound, not a policy
                var vectors = await embedder.EmbedManyAsync(missing, cancellationToken);
                for (var i = 0; i < missing.Count; i++) _vectors[missing[i]] = vectors[i];
            }
            return entries.Select(e => (e, TensorPrimitives.Dot(_vectors[e.Text], asked))).ToList();
        }
        catch (EmbeddingUnavailableException)
        {
            return entries.Select(e => (e, 0f)).ToList();
        }
    }
}
