namespace Bench.Training;

/// <summary>
/// One logistic head per category over the embedding, optionally behind a shared ReLU hidden layer,
/// trained jointly on weighted binary cross-entropy with Adam (mini-batches, L2). Plain arrays:
/// the sets are a few thousand vectors of 384, seconds of work.
/// </summary>
internal sealed class MultiLabelHeads
{
    public required int Inputs { get; init; }
    public required int Hidden { get; init; }          // 0 = heads directly on the embedding
    public required int Outputs { get; init; }
    public float[][] W1 = [];                           // Hidden × Inputs
    public float[] B1 = [];
    public float[][] W2 = [];                           // Outputs × (Hidden or Inputs)
    public float[] B2 = [];

    public sealed record Settings(int Epochs = 40, int Batch = 32, float LearningRate = 0.002f, float L2 = 1e-4f, int Seed = 11);

    public static MultiLabelHeads Train(float[][] x, bool[][] y, float[] positiveWeight, int hidden, Settings s)
    {
        var inputs = x[0].Length;
        var outputs = y[0].Length;
        var random = new Random(s.Seed);
        var heads = new MultiLabelHeads { Inputs = inputs, Hidden = hidden, Outputs = outputs };
        var featureSize = hidden > 0 ? hidden : inputs;
        if (hidden > 0)
        {
            heads.W1 = Init(hidden, inputs, random);
            heads.B1 = new float[hidden];
        }
        heads.W2 = Init(outputs, featureSize, random);
        heads.B2 = new float[outputs];

        var adam = new Adam(heads, s.LearningRate);
        var order = Enumerable.Range(0, x.Length).ToArray();
        var g = Gradients.Like(heads);
        var h = new float[featureSize];
        var dh = new float[featureSize];
        for (var epoch = 0; epoch < s.Epochs; epoch++)
        {
            random.Shuffle(order);
            for (var start = 0; start < order.Length; start += s.Batch)
            {
                g.Clear();
                var end = Math.Min(order.Length, start + s.Batch);
                for (var n = start; n < end; n++)
                {
                    var i = order[n];
                    var features = heads.Features(x[i], h);
                    Array.Clear(dh);
                    for (var o = 0; o < outputs; o++)
                    {
                        var p = Sigmoid(Dot(heads.W2[o], features) + heads.B2[o]);
                        var weight = y[i][o] ? positiveWeight[o] : 1f;
                        var d = weight * (p - (y[i][o] ? 1f : 0f));
                        Axpy(d, features, g.W2[o]);
                        g.B2[o] += d;
                        if (hidden > 0) Axpy(d, heads.W2[o], dh);
                    }
                    if (hidden > 0)
                        for (var k = 0; k < hidden; k++)
                        {
                            if (h[k] <= 0) continue;
                            Axpy(dh[k], x[i], g.W1[k]);
                            g.B1[k] += dh[k];
                        }
                }
                adam.Step(heads, g, 1f / (end - start), s.L2);
            }
        }
        return heads;
    }

    /// <summary>
    /// Trained on z-scores (x − μ)/σ: rewrite the first layer so that it takes raw features,
    /// w′ = w/σ and b′ = b − Σ w·μ/σ, and the weights file needs no scaler.
    /// </summary>
    public void FoldStandardisation(float[] mean, float[] std)
    {
        var first = Hidden > 0 ? W1 : W2;
        var bias = Hidden > 0 ? B1 : B2;
        for (var r = 0; r < first.Length; r++)
            for (var d = 0; d < first[r].Length; d++)
            {
                first[r][d] /= std[d];
                bias[r] -= first[r][d] * mean[d];
            }
    }

    /// <summary>Raw logits per output.</summary>
    public float[] Logits(float[] x)
    {
        var features = Features(x, new float[Hidden > 0 ? Hidden : Inputs]);
        var logits = new float[Outputs];
        for (var o = 0; o < Outputs; o++) logits[o] = Dot(W2[o], features) + B2[o];
        return logits;
    }

    private float[] Features(float[] x, float[] h)
    {
        if (Hidden == 0) return x;
        for (var k = 0; k < Hidden; k++) h[k] = MathF.Max(0, Dot(W1[k], x) + B1[k]);
        return h;
    }

    private static float[][] Init(int rows, int cols, Random random)
    {
        var scale = MathF.Sqrt(2f / cols);
        return Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, cols).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale * 0.5f).ToArray()).ToArray();
    }

    internal static float Sigmoid(float z) => 1f / (1f + MathF.Exp(-z));

    private static float Dot(float[] a, float[] b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);

    private static void Axpy(float a, float[] x, float[] y) => System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(x, a, y, y);

    private sealed class Gradients
    {
        public float[][] W1 = [];
        public float[] B1 = [];
        public float[][] W2 = [];
        public float[] B2 = [];

        public static Gradients Like(MultiLabelHeads m) => new()
        {
            W1 = m.W1.Select(r => new float[r.Length]).ToArray(), B1 = new float[m.B1.Length],
            W2 = m.W2.Select(r => new float[r.Length]).ToArray(), B2 = new float[m.B2.Length],
        };

        public void Clear()
        {
            foreach (var r in W1) Array.Clear(r);
            Array.Clear(B1);
            foreach (var r in W2) Array.Clear(r);
            Array.Clear(B2);
        }
    }

    private sealed class Adam(MultiLabelHeads m, float lr)
    {
        private readonly Gradients _m = Gradients.Like(m);
        private readonly Gradients _v = Gradients.Like(m);
        private int _t;

        public void Step(MultiLabelHeads p, Gradients g, float scale, float l2)
        {
            _t++;
            var c1 = 1 - MathF.Pow(0.9f, _t);
            var c2 = 1 - MathF.Pow(0.999f, _t);
            for (var r = 0; r < p.W1.Length; r++) Update(p.W1[r], g.W1[r], _m.W1[r], _v.W1[r], scale, l2, c1, c2);
            Update(p.B1, g.B1, _m.B1, _v.B1, scale, 0, c1, c2);
            for (var r = 0; r < p.W2.Length; r++) Update(p.W2[r], g.W2[r], _m.W2[r], _v.W2[r], scale, l2, c1, c2);
            Update(p.B2, g.B2, _m.B2, _v.B2, scale, 0, c1, c2);
        }

        private void Update(float[] w, float[] g, float[] m1, float[] v1, float scale, float l2, float c1, float c2)
        {
            for (var i = 0; i < w.Length; i++)
            {
                var grad = g[i] * scale + l2 * w[i];
                m1[i] = 0.9f * m1[i] + 0.1f * grad;
                v1[i] = 0.999f * v1[i] + 0.001f * grad * grad;
                w[i] -= lr * (m1[i] / c1) / (MathF.Sqrt(v1[i] / c2) + 1e-8f);
            }
        }
    }
}
