using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Grains.Models;

/// <summary>
/// The embedded default model: a deterministic responder grounded in the catalog of the system
/// prompt. No network, same answer for the same question. Like a real LLM it sometimes ignores
/// its brand rule: asked about a competitor, it suggests that competitor, which is exactly what
/// the output guardrail must catch (the seed article's "You might like a Porsche instead").
/// </summary>
public sealed partial class CatalogResponder : IChatClient
{
    public const string ModelName = "catalog-responder (deterministic demo model, no LLM)";

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        var system = string.Join("\n", list.Where(m => m.Role == ChatRole.System).Select(m => m.Text));
        var question = list.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        var answer = Answer(system, question);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)) { ModelId = ModelName });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("catalog-responder", null, ModelName) : null;

    public void Dispose() { }

    internal static string Answer(string system, string question)
    {
        var catalog = system.Split('\n')
            .SkipWhile(l => !l.StartsWith(PromptBuilder.CatalogHeader, StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => l.StartsWith("- ", StringComparison.Ordinal))
            .Select(l => l[2..].Split(" | "))
            .Where(p => p.Length == 4)
            .Select(p => (Name: p[0], Category: p[1], Price: p[2], Description: p[3].Trim()))
            .ToList();
        var competitors = system.Split('\n')
            .FirstOrDefault(l => l.StartsWith(PromptBuilder.CompetitorsHeader, StringComparison.Ordinal))?[PromptBuilder.CompetitorsHeader.Length..]
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];

        var words = Words().Matches(question.ToLowerInvariant()).Select(m => m.Value).ToHashSet();
        var competitor = competitors.FirstOrDefault(c => words.Contains(c.ToLowerInvariant()));
        if (competitor is not null)
            return $"Good question! If you like the {competitor} style, you might like a {competitor} instead — they make great products too.";

        var best = catalog
            .Select(i => (Item: i, Score: Words().Matches((i.Name + " " + i.Category + " " + i.Description).ToLowerInvariant()).Count(m => words.Contains(m.Value) && m.Value.Length > 2)))
            .OrderByDescending(x => x.Score)
            .ToList();
        if (best.Count == 0) return "Thanks for your message! How can I help you today?";
        if (best[0].Score == 0)
            return "Thanks for your message! We offer " + string.Join(", ", catalog.Select(i => i.Name)) + ". Which one would you like to know more about?";
        var item = best[0].Item;
        var price = item.Price == "free" ? " It's free of charge." : $" Price: {item.Price}.";
        return $"I'd recommend the {item.Name}: {item.Description}.{price} Would you like to know more or book an appointment?";
    }

    [GeneratedRegex(@"[\p{L}\p{N}][\p{L}\p{N}\-]*")]
    private static partial Regex Words();
}
