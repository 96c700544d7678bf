using Grains.Guardrails.Embeddings;
using Microsoft.Extensions.AI;

namespace Grains.Tests.Guardrails;

/// <summary>The embedder's recent texts: a text read twice (the input guardrail, then the offline model) is embedded once.</summary>
public sealed class TextEmbedderTests
{
    [Fact]
    public async Task A_text_embedded_again_comes_from_the_recent_texts_and_a_new_text_reaches_the_model()
    {
        var model = new CountingEmbeddings();
        var embedder = new TextEmbedder(model, TimeSpan.FromSeconds(5), "counting");

        var first = await embedder.EmbedAsync("Which electric car do you have?");
        var again = await embedder.EmbedAsync("Which electric car do you have?");
        var other = await embedder.EmbedAsync("Can I book a test drive?");

        Assert.Equal(2, model.Texts);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.Equal((2L, 1L), embedder.Counts);
    }

    [Fact]
    public async Task A_failed_embedding_is_not_remembered_and_the_oldest_texts_make_room_for_new_ones()
    {
        var model = new CountingEmbeddings { Failing = true };
        var embedder = new TextEmbedder(model, TimeSpan.FromSeconds(5), "counting");
        await Assert.ThrowsAsync<EmbeddingUnavailableException>(() => embedder.EmbedAsync("hello"));
        model.Failing = false;
        await embedder.EmbedAsync("hello"); // asked again, not answered by a remembered failure
        Assert.Equal(1, model.Texts);

        for (var i = 0; i < TextEmbedder.RecentCapacity; i++) await embedder.EmbedAsync("filler " + i);
        await embedder.EmbedAsync("hello");
        Assert.Equal(TextEmbedder.RecentCapacity + 2, model.Texts); // "hello" was the oldest: embedded again
    }

    private sealed class CountingEmbeddings : IEmbeddingGenerator<string, Embedding<float>>
    {
        public int Texts;
        public bool Failing;

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
            CancellationToken cancellationToken = default)
        {
            if (Failing) throw new HttpRequestException("embedding endpoint down");
            var list = values.ToList();
            Texts += list.Count;
            // A vector that depends on the text, so different texts differ.
            return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(list.Select(t => new Embedding<float>(new[] { 1f, t.Length, t.GetHashCode(StringComparison.Ordinal) % 97 }))));
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
