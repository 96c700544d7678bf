using System.Text.RegularExpressions;

namespace Grains.Models;

/// <summary>One line of the catalog in the system prompt; <see cref="Price"/> is null when none is listed.</summary>
internal sealed record CatalogEntry(string Name, string Category, string? Price, string Description)
{
    public string Text => $"{Name} ({Category}): {Description}";
}

/// <summary>
/// What the demo model reads from a system prompt written by <see cref="PromptBuilder"/>: who it speaks for, the
/// catalog and the competitors. Reading the prompt (not the tenant) keeps it a model like any other: it sees only
/// the messages.
/// </summary>
internal sealed partial record CatalogPrompt(string Business, IReadOnlyList<CatalogEntry> Catalog, IReadOnlyList<string> Competitors)
{
    /// <summary>The marketing assistant's pitch writer asks, not a customer.</summary>
    public bool IsPitch { get; init; }

    public string Assistant => $"the assistant of {Business}";

    public static CatalogPrompt Parse(string system)
    {
        var lines = system.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var business = lines.Select(l => Intro().Match(l)).FirstOrDefault(m => m.Success)?.Groups["name"].Value ?? "this business";
        var catalog = lines
            .SkipWhile(l => !l.StartsWith(PromptBuilder.CatalogHeader, StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => l.StartsWith("- ", StringComparison.Ordinal))
            .Select(l => l[2..].Split(" | "))
            .Where(p => p.Length == 4)
            .Select(p => new CatalogEntry(p[0].Trim(), p[1].Trim(), p[2].Trim() == PromptBuilder.NoPrice ? null : p[2].Trim(), p[3].Trim().TrimEnd('.')))
            .ToList();
        var competitors = lines
            .FirstOrDefault(l => l.StartsWith(PromptBuilder.CompetitorsHeader, StringComparison.Ordinal))?[PromptBuilder.CompetitorsHeader.Length..]
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];
        return new CatalogPrompt(business, catalog, competitors) { IsPitch = system.StartsWith(PromptBuilder.PitchTask, StringComparison.Ordinal) };
    }

    [GeneratedRegex(@"^(You are the customer assistant of|Task: write a short sales pitch e-mail for) (?<name>.+?), ")]
    private static partial Regex Intro();
}
