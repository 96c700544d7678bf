using System.Text.Json;
using System.Text.RegularExpressions;
using Grains.Guardrails.Safety;

namespace Bench.Training;

/// <summary>One training text with its safety categories (none = safe) and where it came from.</summary>
internal sealed record LabelledText(string Text, IReadOnlySet<string> Labels, string Source);

/// <summary>
/// Reads the training data: the team's own labelled examples (committed in <c>Bench/safety-data</c>),
/// and, when the shared folder is there, the public sets of <c>safety-train/</c> and CLINC150's
/// training utterances as everyday safe messages. The public data is read in place, never copied.
/// </summary>
internal static partial class TrainingData
{
    private sealed record Row(string? Text, List<string>? Labels, string? Label, Dictionary<string, int>? Votes);

    public static List<LabelledText> Own(string folder)
    {
        var rows = new List<LabelledText>();
        foreach (var file in Directory.GetFiles(folder, "*.jsonl").Order(StringComparer.Ordinal))
        {
            var n = 0;
            foreach (var line in File.ReadLines(file))
            {
                n++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                var row = JsonSerializer.Deserialize<Row>(line, Json) ?? throw new InvalidDataException($"{file}:{n}: empty row");
                if (string.IsNullOrWhiteSpace(row.Text) || row.Labels is null)
                    throw new InvalidDataException($"{file}:{n}: expected {{\"text\": \"...\", \"labels\": [...]}}");
                var unknown = row.Labels.Where(l => !SafetyCategories.All.Contains(l)).ToList();
                if (unknown.Count > 0) throw new InvalidDataException($"{file}:{n}: unknown label(s) {string.Join(", ", unknown)}");
                var labels = row.Labels.ToHashSet();
                if (labels.Contains(SafetyCategories.SexualMinors)) labels.Add(SafetyCategories.Sexual);
                rows.Add(new LabelledText(row.Text.Trim(), labels, "own:" + Path.GetFileNameWithoutExtension(file)));
            }
        }
        return rows;
    }

    /// <summary>ToxiGen statements: hate, or neutral statements about the same groups (good negatives).</summary>
    public static List<LabelledText> ToxiGen(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<Row>(l, Json)!)
            .Where(r => !string.IsNullOrWhiteSpace(r.Text))
            .Select(r => new LabelledText(r.Text!.Trim(), r.Label == "hate" ? new HashSet<string> { SafetyCategories.Hate } : new HashSet<string>(), "toxigen"))
            .ToList();

    /// <summary>
    /// Davidson's tweets: majority-hate as hate, "neither" as safe. "Offensive" (mostly profanity) is
    /// left out: profanity alone is not what a moderation policy refuses, and as negatives those
    /// tweets would teach the heads that slurs are fine.
    /// </summary>
    public static List<LabelledText> Davidson(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<Row>(l, Json)!)
            .Where(r => !string.IsNullOrWhiteSpace(r.Text) && r.Label is "hate" or "neither")
            .Where(r => r.Label != "hate" || (r.Votes?.GetValueOrDefault("hate") ?? 0) * 2 > (r.Votes?.Values.Sum() ?? 0))
            .Select(r => new LabelledText(CleanTweet(r.Text!), r.Label == "hate" ? new HashSet<string> { SafetyCategories.Hate } : new HashSet<string>(), "davidson"))
            .Where(r => r.Text.Length >= 8)
            .ToList();

    /// <summary>CLINC150 training utterances: everyday requests, all safe.</summary>
    public static List<LabelledText> ClincSafe(string path, int take)
    {
        var data = JsonSerializer.Deserialize<Dictionary<string, List<List<string>>>>(File.ReadAllText(path))!;
        var all = data["train"].Concat(data["oos_train"]).Select(r => r[0]).ToList();
        var random = new Random(7);
        return all.OrderBy(_ => random.Next()).Take(take).Select(t => new LabelledText(t, new HashSet<string>(), "clinc150")).ToList();
    }

    private static string CleanTweet(string text)
    {
        text = Handles().Replace(text, " ");
        text = Urls().Replace(text, " ");
        text = text.Replace("&amp;", "&", StringComparison.Ordinal).Replace("&lt;", "<", StringComparison.Ordinal).Replace("&gt;", ">", StringComparison.Ordinal);
        text = Entities().Replace(text, " ");
        return Spaces().Replace(text, " ").Trim(' ', '!', ':', '"');
    }

    [GeneratedRegex(@"\bRT\b|@\w+:?")]
    private static partial Regex Handles();

    [GeneratedRegex(@"https?://\S+")]
    private static partial Regex Urls();

    [GeneratedRegex(@"&#\d+;")]
    private static partial Regex Entities();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
