using System.ClientModel;
using Microsoft.Extensions.AI;
using OllamaSharp;
using OpenAI;

namespace Grains.Guardrails.Embeddings;

/// <summary>The embedding endpoint failed, timed out or answered something unusable: the chain fails closed.</summary>
public sealed class EmbeddingUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The guardrails' one way to turn text into unit vectors, over any
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>: a deadline per call, vectors normalised
/// (cosine = dot product whatever the endpoint returns), and every failure reported as
/// <see cref="EmbeddingUnavailableException"/> so callers can fail closed.
/// </summary>
public sealed class TextEmbedder(IEmbeddingGenerator<string, Embedding<float>> generator, TimeSpan timeout, string modelName)
{
    /// <summary>Names the model in verdicts, e.g. <c>minilm:all-MiniLM-L6-v2</c>.</summary>
    public string ModelName => modelName;

    public static TextEmbedder Create(EmbeddingOptions options) => new(CreateGenerator(options), options.Timeout,
        options.IsInProcess ? "minilm:" + MiniLmEmbeddingGenerator.ModelName : $"{options.Provider}:{options.Model}");

    public static IEmbeddingGenerator<string, Embedding<float>> CreateGenerator(EmbeddingOptions options) => options.Provider switch
    {
        "minilm" => MiniLmEmbeddingGenerator.Shared(options.Threads),
        "ollama" => new OllamaApiClient(new Uri(Require(options.Endpoint, "Endpoint")), Require(options.Model, "Model")),
        "openai" => new OpenAI.Embeddings.EmbeddingClient(Require(options.Model, "Model"), new ApiKeyCredential(options.ApiKey ?? "unused"),
            new OpenAIClientOptions { Endpoint = new Uri(Require(options.Endpoint, "Endpoint")), NetworkTimeout = options.Timeout }).AsIEmbeddingGenerator(),
        _ => throw new InvalidOperationException($"Guardrails:Embeddings:Provider '{options.Provider}' is not one of minilm, ollama, openai."),
    };

    /// <summary>
    /// One text's vector. The same text is embedded once per <see cref="RecentCapacity"/> distinct texts: a turn's
    /// message is read by the input guardrail and again by the offline model, and short messages ("thanks", "hello")
    /// recur across conversations. Vectors are never changed by their readers.
    /// </summary>
    public async Task<float[]> EmbedAsync(string text, CancellationToken cancellationToken = default)
    {
        if (_recent.TryGetValue(text, out var known))
        {
            Interlocked.Increment(ref _reused);
            return known;
        }
        var vector = (await EmbedManyAsync([text], cancellationToken))[0];
        Remember(text, vector);
        return vector;
    }

    /// <summary>How many distinct recent texts keep their vectors (about 1.5 KB each).</summary>
    public const int RecentCapacity = 4096;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, float[]> _recent = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _recentOrder = new();
    private long _embedded;
    private long _reused;

    /// <summary>Texts the model embedded, and single texts answered from the recent ones (benches, diagnostics).</summary>
    public (long Embedded, long Reused) Counts => (Interlocked.Read(ref _embedded), Interlocked.Read(ref _reused));

    private void Remember(string text, float[] vector)
    {
        if (text.Length > 2048 || !_recent.TryAdd(text, vector)) return; // long texts rarely recur
        _recentOrder.Enqueue(text);
        while (_recentOrder.Count > RecentCapacity && _recentOrder.TryDequeue(out var oldest)) _recent.TryRemove(oldest, out _);
    }


    /// <summary>Embeds in batches of <see cref="BatchSize"/>, each under the deadline (a policy's examples, a training set).</summary>
    public async Task<float[][]> EmbedManyAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        if (texts.Count <= BatchSize) return await GenerateAsync(texts, cancellationToken);
        var all = new List<float[]>(texts.Count);
        for (var i = 0; i < texts.Count; i += BatchSize)
            all.AddRange(await GenerateAsync(texts.Skip(i).Take(BatchSize).ToList(), cancellationToken));
        return [.. all];
    }

    public const int BatchSize = 32;

    private async Task<float[][]> GenerateAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        if (texts.Count == 0) return [];
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        GeneratedEmbeddings<Embedding<float>> result;
        try
        {
            result = await generator.GenerateAsync(texts, cancellationToken: deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EmbeddingUnavailableException($"the embedding model ({modelName}) gave no answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            throw new EmbeddingUnavailableException($"the embedding model ({modelName}) failed: {ex.Message}", ex);
        }
        Interlocked.Add(ref _embedded, texts.Count);
        if (result.Count != texts.Count)
            throw new EmbeddingUnavailableException($"the embedding model ({modelName}) returned {result.Count} vectors for {texts.Count} texts");
        var vectors = new float[texts.Count][];
        for (var i = 0; i < vectors.Length; i++) vectors[i] = Normalised(result[i].Vector.Span);
        return vectors;
    }

    private float[] Normalised(ReadOnlySpan<float> vector)
    {
        var norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(vector));
        if (vector.Length == 0 || !float.IsFinite(norm) || norm == 0)
            throw new EmbeddingUnavailableException($"the embedding model ({modelName}) returned an empty or invalid vector");
        var copy = new float[vector.Length];
        System.Numerics.Tensors.TensorPrimitives.Divide(vector, norm, copy);
        return copy;
    }

    private static string Require(string? value, string setting) =>
        string.IsNullOrWhiteSpace(value) ? throw new InvalidOperationException($"Guardrails:Embeddings:{setting} is required for this embedding provider.") : value;
}
