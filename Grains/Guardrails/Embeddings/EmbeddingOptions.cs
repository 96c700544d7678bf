using System.ComponentModel.DataAnnotations;

namespace Grains.Guardrails.Embeddings;

/// <summary>
/// Where the guardrails' sentence embeddings come from (section <c>Guardrails:Embeddings</c>). The
/// default is the in-process all-MiniLM-L6-v2 model shipped inside its NuGet package: no network,
/// nothing downloaded. An operator may point the guardrails at an Ollama or OpenAI-compatible
/// embedding endpoint instead; the safety heads were trained on MiniLM vectors, so a remote model
/// must serve the same model (its dimensions are checked on the first vector).
/// </summary>
public sealed class EmbeddingOptions
{
    public const string Section = "Guardrails:Embeddings";

    /// <summary><c>minilm</c> (in-process, default), <c>ollama</c> or <c>openai</c>.</summary>
    [RegularExpression("^(minilm|ollama|openai)$", ErrorMessage = "Guardrails:Embeddings:Provider must be minilm, ollama or openai.")]
    public string Provider { get; set; } = "minilm";

    /// <summary>For <c>ollama</c> and <c>openai</c>: e.g. http://localhost:11434 or https://host/v1.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Model id at the endpoint, e.g. all-minilm.</summary>
    public string? Model { get; set; }

    public string? ApiKey { get; set; }

    /// <summary>How long a message may wait for its vector before the chain fails closed.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// ONNX Runtime threads for one in-process encode. 2 halves a short message's latency on 2 cores;
    /// 1 leaves more of the machine to Orleans under heavy load.
    /// </summary>
    [Range(1, 64, ErrorMessage = "Guardrails:Embeddings:Threads must be between 1 and 64.")]
    public int Threads { get; set; } = Math.Clamp(Environment.ProcessorCount, 1, 2);

    public bool IsInProcess => Provider == "minilm";
}
