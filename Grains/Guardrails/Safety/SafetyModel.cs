using System.Text.Json;
using System.Text.Json.Serialization;

namespace Grains.Guardrails.Safety;

/// <summary>The weights file is missing, unreadable or does not fit the embedding model: start-up stops with this message.</summary>
public sealed class SafetyModelException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Small trained heads over a message's sentence embedding, one per safety category, each giving a
/// calibrated probability in [0,1] (so "0.7 → human review" means what it says). An optional shared
/// hidden layer (ReLU) sits between the embedding and the heads. Trained by
/// <c>dotnet run -c Release --project Bench -- train-safety</c>, which writes the versioned weights
/// file this class reads; every verdict names <see cref="Version"/>.
/// </summary>
public sealed class SafetyModel
{
    public const string Format = "agent-platform.safety-heads/1";

    private readonly float[][]? _hidden;
    private readonly float[]? _hiddenBias;
    private readonly Head[] _heads;

    private SafetyModel(SafetyModelFile file, string source)
    {
        Version = file.Version;
        EmbeddingModel = file.EmbeddingModel;
        Dimensions = file.Dimensions;
        Source = source;
        _hidden = file.Hidden?.Weights;
        _hiddenBias = file.Hidden?.Bias;
        _heads = file.Heads.Select(h => new Head(h.Category, h.Weights, h.Bias, h.Calibration.A, h.Calibration.B)).ToArray();
        Categories = _heads.Select(h => h.Category).ToArray();
        Metrics = file.Heads.Where(h => h.CrossValidated is not null).ToDictionary(h => h.Category, h => h.CrossValidated!);
    }

    /// <summary>Weights version, e.g. <c>2026-12-02.3f9a2c</c> (date and a hash of the training data).</summary>
    public string Version { get; }

    public string EmbeddingModel { get; }

    public int Dimensions { get; }

    public string Source { get; }

    public IReadOnlyList<string> Categories { get; }

    /// <summary>The training command's cross-validated figures per category, as written into the file.</summary>
    public IReadOnlyDictionary<string, HeadMetrics> Metrics { get; }

    /// <summary>Model and weights, as verdicts name them.</summary>
    public string Name => $"safety-heads {Version} on {EmbeddingModel}";

    /// <summary>Calibrated probability per category, in <see cref="Categories"/> order.</summary>
    public float[] Score(ReadOnlySpan<float> embedding)
    {
        if (embedding.Length != Dimensions)
            throw new ArgumentException($"the safety heads expect {Dimensions}-dimensional vectors of {EmbeddingModel}; got {embedding.Length}", nameof(embedding));
        ReadOnlySpan<float> features = embedding;
        if (_hidden is not null)
        {
            var h = new float[_hidden.Length];
            for (var i = 0; i < h.Length; i++) h[i] = MathF.Max(0, Dot(_hidden[i], embedding) + _hiddenBias![i]);
            features = h;
        }
        var scores = new float[_heads.Length];
        for (var i = 0; i < _heads.Length; i++)
        {
            var head = _heads[i];
            var logit = Dot(head.Weights, features) + head.Bias;
            scores[i] = 1f / (1f + MathF.Exp(-(head.A * logit + head.B)));
        }
        return scores;
    }

    private static float Dot(float[] w, ReadOnlySpan<float> x) => System.Numerics.Tensors.TensorPrimitives.Dot(w, x);

    public static SafetyModel Load(string path)
    {
        if (!File.Exists(path))
            throw new SafetyModelException($"The safety weights file '{path}' does not exist. It ships with the platform (Grains/Guardrails/Safety/safety-heads.json, copied next to the binaries); rebuild, or point Guardrails:Safety:WeightsFile at it. To make a new one: dotnet run -c Release --project Bench -- train-safety.");
        SafetyModelFile? file;
        try
        {
            using var stream = File.OpenRead(path);
            file = JsonSerializer.Deserialize<SafetyModelFile>(stream, FileJson);
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new SafetyModelException($"The safety weights file '{path}' is corrupt or unreadable ({ex.Message}). Restore it from the repository or retrain with: dotnet run -c Release --project Bench -- train-safety.", ex);
        }
        return FromFile(file, path);
    }

    public static SafetyModel FromFile(SafetyModelFile? file, string source)
    {
        string Problem()
        {
            if (file is null) return "it is empty";
            if (file.FormatName != Format) return $"its format is '{file.FormatName}', expected '{Format}'";
            if (string.IsNullOrWhiteSpace(file.Version)) return "it has no version";
            if (file.Dimensions <= 0) return "it names no embedding dimensions";
            if (file.Heads is not { Count: > 0 }) return "it has no heads";
            var inputs = file.Dimensions;
            if (file.Hidden is { } hidden)
            {
                if (hidden.Weights is not { Length: > 0 } || hidden.Bias?.Length != hidden.Weights.Length) return "its hidden layer is incomplete";
                if (hidden.Weights.Any(r => r is null || r.Length != file.Dimensions || r.Any(w => !float.IsFinite(w)))) return $"its hidden layer does not take {file.Dimensions} inputs";
                inputs = hidden.Weights.Length;
            }
            foreach (var head in file.Heads)
            {
                if (string.IsNullOrWhiteSpace(head.Category)) return "a head has no category";
                if (head.Weights is null || head.Weights.Length != inputs) return $"head '{head.Category}' has {head.Weights?.Length ?? 0} weights, expected {inputs}";
                if (head.Weights.Any(w => !float.IsFinite(w)) || !float.IsFinite(head.Bias) || head.Calibration is null ||
                    !float.IsFinite(head.Calibration.A) || !float.IsFinite(head.Calibration.B)) return $"head '{head.Category}' has invalid numbers";
            }
            if (file.Heads.Select(h => h.Category).Distinct().Count() != file.Heads.Count) return "two heads share a category";
            return "";
        }
        var problem = Problem();
        if (problem.Length > 0)
            throw new SafetyModelException($"The safety weights file '{source}' is corrupt: {problem}. Restore it from the repository or retrain with: dotnet run -c Release --project Bench -- train-safety.");
        return new SafetyModel(file!, source);
    }

    public static readonly JsonSerializerOptions FileJson = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private sealed record Head(string Category, float[] Weights, float Bias, float A, float B);
}

/// <summary>The weights file as written by the training command.</summary>
public sealed class SafetyModelFile
{
    [JsonPropertyName("format")] public string FormatName { get; set; } = "";
    public string Version { get; set; } = "";
    public string EmbeddingModel { get; set; } = "";
    public int Dimensions { get; set; }
    public HiddenLayer? Hidden { get; set; }
    public List<HeadFile> Heads { get; set; } = [];
    /// <summary>What the heads were trained on and how (for people reading the file).</summary>
    public Dictionary<string, JsonElement>? Training { get; set; }

    public sealed class HiddenLayer
    {
        public float[][] Weights { get; set; } = [];
        public float[] Bias { get; set; } = [];
    }

    public sealed class HeadFile
    {
        public string Category { get; set; } = "";
        public float[] Weights { get; set; } = [];
        public float Bias { get; set; }
        /// <summary>Platt scaling of the raw logit: p = σ(a·logit + b), fitted on cross-validated scores.</summary>
        public Calibration Calibration { get; set; } = new();
        public HeadMetrics? CrossValidated { get; set; }
    }

    public sealed class Calibration
    {
        public float A { get; set; } = 1;
        public float B { get; set; }
    }
}

/// <summary>Cross-validated figures of one head at probability 0.5.</summary>
public sealed record HeadMetrics(int Positives, int Negatives, double Precision, double Recall, double F1, double Auc);
