using System.Text.RegularExpressions;

namespace Grains.Models;

/// <summary>
/// A customer's question as the demo model reads it: lower-case word stems (plurals folded, hyphenated and split
/// spellings joined, so "e-bikes", "ebike" and "E bike" meet), and the few intents it answers differently.
/// </summary>
internal sealed partial class Question
{
    // Every word list is kept as stems, so it matches the question's stems ("does" → "doe", "fees" → "fee").
    private static readonly HashSet<string> StopWords = Stemmed(
    [
        "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "about", "from", "by", "is", "are", "was",
        "be", "it", "its", "this", "that", "these", "those", "do", "does", "did", "you", "your", "yours", "we", "our", "us", "i", "me",
        "my", "can", "could", "would", "will", "should", "what", "which", "who", "how", "when", "where", "why", "have", "has", "any",
        "some", "there", "here", "please", "tell", "know", "like", "want", "need", "get", "give", "much", "many", "more", "most", "than",
        "so", "if", "not", "no", "yes", "up", "out", "one", "just", "also", "too", "very", "good", "best", "better", "new", "s",
    ]);

    private static readonly HashSet<string> Greetings = Stemmed(["hi", "hello", "hey", "hallo", "good", "morning", "afternoon", "evening", "there", "all", "everyone"]);
    private static readonly HashSet<string> PriceWords = Stemmed(["cost", "price", "priced", "expensive", "cheap", "cheaper", "cheapest", "afford", "fee", "charge", "quote", "payment", "monthly"]);
    private static readonly HashSet<string> BookingWords = Stemmed(["book", "booking", "appointment", "reserve", "reservation", "schedule"]);

    public Question(string text)
    {
        Text = text;
        Tokens = Words().Matches(text.ToLowerInvariant()).Select(m => Stem(m.Value)).ToList();
        var joined = Tokens.Zip(Tokens.Skip(1), (a, b) => a + b);
        Stems = [.. Tokens, .. joined];
    }

    public string Text { get; }

    /// <summary>The question's word stems in order.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>Stems and neighbours joined ("e bike" → "ebike"), for lookups.</summary>
    public HashSet<string> Stems { get; }

    public IEnumerable<string> ContentStems => Tokens.Where(t => t.Length > 2 && !StopWords.Contains(t));

    public bool IsGreeting => Tokens.Count is > 0 and <= 4 && Greetings.Contains(Tokens[0]) && Tokens.All(Greetings.Contains);

    public bool IsThanks => Tokens.Count <= 6 && Tokens.Any(t => t is "thank" or "thx" or "cheer");

    public bool IsAboutPrice => Tokens.Any(PriceWords.Contains) || Mentions("how much");

    public bool IsBooking => Tokens.Any(BookingWords.Contains) || Mentions("test drive");

    /// <summary>Whether the words of <paramref name="phrase"/> occur in the question, in order and next to each other.</summary>
    public bool Mentions(string phrase)
    {
        var words = Of(phrase);
        if (words.Count == 0 || words.Count > Tokens.Count) return false;
        for (var i = 0; i + words.Count <= Tokens.Count; i++)
            if (words.Select((w, j) => Tokens[i + j] == w).All(x => x)) return true;
        return Stems.Contains(string.Concat(words)); // "e-trek" asked as "etrek"
    }

    /// <summary>The stems of any text, as the question's are made.</summary>
    public static List<string> Of(string text) => Words().Matches(text.ToLowerInvariant()).Select(m => Stem(m.Value)).ToList();

    private static HashSet<string> Stemmed(string[] words) => words.Select(Stem).ToHashSet();

    /// <summary>Plural to singular, enough for catalog words (suvs, bikes, accounts, batteries, boxes); short words stay.</summary>
    private static string Stem(string word) => word switch
    {
        { Length: > 4 } when word.EndsWith("ies", StringComparison.Ordinal) => word[..^3] + "y",
        { Length: > 4 } when word.EndsWith("ses", StringComparison.Ordinal) || word.EndsWith("xes", StringComparison.Ordinal)
            || word.EndsWith("ches", StringComparison.Ordinal) || word.EndsWith("shes", StringComparison.Ordinal) => word[..^2],
        { Length: > 3 } when word.EndsWith('s') && !word.EndsWith("ss", StringComparison.Ordinal) && !word.EndsWith("us", StringComparison.Ordinal) => word[..^1],
        _ => word,
    };

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Words();
}
