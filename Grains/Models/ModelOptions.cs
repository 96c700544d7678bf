using System.ClientModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.AI;
using OllamaSharp;
using OpenAI;

namespace Grains.Models;

/// <summary>Which model answers customers. Section <c>Model</c>; the default needs no network.</summary>
public sealed class ModelOptions
{
    /// <summary><c>catalog</c> (deterministic demo responder), <c>ollama</c> or <c>openai</c> (any OpenAI-compatible endpoint).</summary>
    [RegularExpression("^(catalog|ollama|openai)$", ErrorMessage = "Model:Provider must be catalog, ollama or openai.")]
    public string Provider { get; set; } = "catalog";

    /// <summary>e.g. http://localhost:11434 for Ollama, https://api.openai.com/v1 or a vLLM/LiteLLM URL.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Model id, e.g. llama3.2 or gpt-4o-mini.</summary>
    public string? Model { get; set; }

    public string? ApiKey { get; set; }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public string DisplayName => Provider == "catalog" ? CatalogResponder.ModelName : $"{Provider}:{Model}";

    /// <summary>The client for these settings; the demo model matches questions by meaning with <paramref name="embedder"/> when given.</summary>
    public IChatClient CreateClient(Guardrails.Embeddings.TextEmbedder? embedder = null) => Provider switch
    {
        "catalog" => new CatalogResponder(embedder),
        "ollama" => new OllamaApiClient(new Uri(Require(Endpoint, "Model:Endpoint")), Require(Model, "Model:Model")),
        "openai" => new OpenAI.Chat.ChatClient(Require(Model, "Model:Model"), new ApiKeyCredential(ApiKey ?? "unused"),
            new OpenAIClientOptions { Endpoint = new Uri(Require(Endpoint, "Model:Endpoint")) }).AsIChatClient(),
        _ => throw new InvalidOperationException($"Model:Provider '{Provider}' is not one of catalog, ollama, openai."),
    };

    private static string Require(string? value, string setting) =>
        string.IsNullOrWhiteSpace(value) ? throw new InvalidOperationException($"{setting} is required for this model provider.") : value;
}
