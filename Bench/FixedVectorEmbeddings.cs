using Grains.Guardrails.Embeddings;
using Microsoft.Extensions.AI;

namespace Bench;

/// <summary>
/// For measuring the platform without the embedding model's inference: every text gets the vector the real model gives
/// one ordinary customer question (computed once), so every guardrail rule, safety head and topic check still runs and
/// judges the turn clean, at the cost of a copy.
/// </summary>
internal sealed class FixedVectorEmbeddings(float[] vector) : IEmbeddingGenerator<string, Embedding<float>>
{
    public static async Task<FixedVectorEmbeddings> CreateAsync()
    {
        var real = MiniLmEmbeddingGenerator.Shared(threads: 1);
        var one = await real.GenerateAsync(["Which electric car do you have?"]);
        return new FixedVectorEmbeddings(one[0].Vector.ToArray());
    }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default) =>
        Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(_ => new Embedding<float>(vector.ToArray()))));

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
