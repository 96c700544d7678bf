using Grains.Guardrails;
using Grains.Guardrails.Embeddings;
using Grains.Guardrails.Safety;
using Grains.Guardrails.Topics;

namespace Grains.Tests.Infrastructure;

/// <summary>The chains as every host builds them (in-process MiniLM, the shipped safety heads), once per test process.</summary>
public static class TestGuardrails
{
    private static readonly Lazy<GuardrailChains> Shared = new(() =>
    {
        var embedder = TextEmbedder.Create(new EmbeddingOptions());
        return new GuardrailChains(embedder, SafetyModel.Load(new SafetyOptions().ResolvedPath), new TopicIndexCache(embedder));
    });

    public static GuardrailChains Chains => Shared.Value;

    public static GuardrailChain Input => Chains.Input;

    public static GuardrailChain Output => Chains.Output;
}
