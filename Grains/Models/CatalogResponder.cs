using System.Runtime.CompilerServices;
using Grains.Guardrails.Embeddings;
using Microsoft.Extensions.AI;

namespace Grains.Models;

/// <summary>
/// The embedded default model: a deterministic responder grounded in the catalog of the system
/// prompt. No network, same answer for the same question. It answers from the catalog entries the
/// question is about (named, by category or words of the description, and, with the in-process
/// embedding model, by meaning), says so when the catalog has nothing on it, and does not pretend
/// to be a general model where there is no catalog. Like a real LLM it sometimes ignores its brand
/// rule: asked about a competitor, it suggests that competitor, which is exactly what the output
/// guardrail must catch (the seed article's "You might like a Porsche instead").
/// </summary>
public sealed partial class CatalogResponder(TextEmbedder? embedder = null) : IChatClient
{
    public const string ModelName = "catalog-responder (deterministic demo model, no LLM)";

    private readonly CatalogMatcher _matcher = new(embedder);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        var system = string.Join("\n", list.Where(m => m.Role == ChatRole.System).Select(m => m.Text));
        var question = list.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        var answer = await AnswerAsync(system, question, cancellationToken);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)) { ModelId = ModelName };
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

    internal async Task<string> AnswerAsync(string system, string question, CancellationToken cancellationToken = default)
    {
        var prompt = CatalogPrompt.Parse(system);
        if (prompt.IsPitch) return await PitchAsync(prompt, question, cancellationToken);
        var asked = new Question(question);

        var competitor = prompt.Competitors.FirstOrDefault(c => asked.Mentions(c));
        if (competitor is not null)
            return $"Good question! If you like the {competitor} style, you might like a {competitor} instead — they make great products too.";

        if (asked.IsGreeting) return prompt.Catalog.Count == 0
            ? $"Hello! I'm {prompt.Assistant}. What can I do for you?"
            : $"Hello! I'm {prompt.Assistant}. I can tell you about {Names(prompt.Catalog)}. What would you like to know?";
        if (asked.IsThanks) return "You're welcome! Is there anything else I can help you with?";

        if (prompt.Catalog.Count == 0)
            return "This demo runs without a language model, so I can't answer that here. Your message passed the safety checks; " +
                   "with a model configured (Model:Provider, see the README) the assistant would answer it.";

        var matches = await _matcher.MatchAsync(prompt.Catalog, asked, cancellationToken);
        if (matches.Count == 0)
            return asked.IsBooking
                ? $"I can't make bookings from this chat, but the team at {prompt.Business} will gladly arrange that for you. Can I tell you about {Names(prompt.Catalog)} in the meantime?"
                : $"I'm sorry, our catalog has nothing on that. We offer {Names(prompt.Catalog)}. Would one of those help?";

        if (asked.IsBooking)
            return $"I can't make bookings from this chat, but the team at {prompt.Business} will gladly arrange that for the {matches[0].Name}. {Describe(matches[0], asked.IsAboutPrice)}";
        if (matches.Count > 1)
            return "Here is what we have: " + string.Join(" ", matches.Select(m => Describe(m, asked.IsAboutPrice))) + " Which one would you like to know more about?";
        return Describe(matches[0], asked.IsAboutPrice) + " Would you like to know more?";
    }

    /// <summary>
    /// A sales pitch e-mail to a lead ("Lead: NAME[ from COMPANY]. Interested in: TEXT"), from the catalog entries their
    /// interest names. Like a real model under sales pressure it sometimes overpromises: asked for a deal it offers a
    /// discount, asked about a competitor it praises it — what the brand filter and the emergency stop must catch.
    /// </summary>
    private async Task<string> PitchAsync(CatalogPrompt prompt, string request, CancellationToken cancellationToken)
    {
        var lead = LeadRequest().Match(request);
        var name = lead.Success ? lead.Groups["name"].Value.Trim() : "there";
        var interest = lead.Success ? lead.Groups["interest"].Value.Trim() : request;
        var asked = new Question(interest);
        var matches = prompt.Catalog.Count == 0 ? [] : await _matcher.MatchAsync(prompt.Catalog, asked, cancellationToken);
        var body = new List<string>();
        if (matches.Count == 0)
            body.Add(prompt.Catalog.Count == 0
                ? $"thank you for getting in touch with {prompt.Business}. Our team will answer your question personally."
                : $"thank you for your interest. Our catalog has nothing on exactly that, but we offer {Names(prompt.Catalog)} — one of them may be what you need.");
        else
        {
            body.Add($"thank you for your interest in the {string.Join(" and the ", matches.Take(2).Select(m => m.Name))}.");
            body.AddRange(matches.Take(2).Select(m => Describe(m, aboutPrice: false)));
        }
        if (prompt.Competitors.FirstOrDefault(c => asked.Mentions(c)) is { } competitor)
            body.Add($"If you like the {competitor}, you might like a {competitor} too — they make great products.");
        if (AsksForADeal().IsMatch(interest))
            body.Add("As a welcome offer, we can give you 25% off your first order.");
        body.Add($"Would you like to see {(matches.Count > 0 ? "it" : "what we have")} for yourself? Just reply to this e-mail and we will arrange it.");
        return $"Dear {name},\n\n{string.Join(" ", body)}\n\nKind regards,\n{prompt.Business}";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^Lead: (?<name>.+?)(?: from (?<company>.+?))?\. Interested in: (?<interest>.*)$", System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex LeadRequest();

    [System.Text.RegularExpressions.GeneratedRegex(@"\b(discount|deal|best price|offer|cheaper|rebate|coupon)s?\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex AsksForADeal();

    private static string Describe(CatalogEntry item, bool aboutPrice) => item.Price is null
        ? aboutPrice
            ? $"The {item.Name} is {item.Description}; there is no price for it in my catalog, so our team will give you the exact terms."
            : $"The {item.Name} is {item.Description}."
        : aboutPrice
            ? $"The {item.Name} costs {item.Price}: {item.Description}."
            : $"The {item.Name} is {item.Description}, at {item.Price}.";

    private static string Names(IReadOnlyList<CatalogEntry> catalog) => catalog.Count switch
    {
        1 => "the " + catalog[0].Name,
        _ => "the " + string.Join(", the ", catalog.Take(catalog.Count - 1).Select(i => i.Name)) + " and the " + catalog[^1].Name,
    };
}
