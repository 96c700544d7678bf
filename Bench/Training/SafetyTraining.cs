using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Grains.Guardrails;
using Grains.Guardrails.Embeddings;
using Grains.Guardrails.Safety;

namespace Bench.Training;

/// <summary>
/// <c>train-safety [--data Bench/safety-data] [--shared ../shared/eval] [--out Grains/Guardrails/Safety/safety-heads.json]
/// [--hidden 64] [--ensemble 5] [--epochs 6] [--lr 0.001] [--l2 0.001] [--prior 0.2] [--folds 5] [--clinc 15100] [--fit-check] [--show-mistakes]
/// [--no-write]</c> (<c>--hidden 0</c>: linear heads): trains the safety heads over MiniLM embeddings, prints cross-validated figures per category (and for "any unsafe" under the
/// platform's rules, per source), then fits on everything and writes the versioned weights file.
/// </summary>
internal static class SafetyTraining
{
    public static async Task<int> RunAsync(string[] args)
    {
        var dataDir = GuardrailEval.Arg(args, "--data") ?? Path.Combine("Bench", "safety-data");
        var sharedDir = GuardrailEval.Arg(args, "--shared") ?? Path.Combine("..", "shared", "eval");
        var outPath = GuardrailEval.Arg(args, "--out") ?? Path.Combine("Grains", "Guardrails", "Safety", "safety-heads.json");
        // Defaults are what the shipped file was made with: 5 networks of 64 hidden units, merged (see TrainModel).
        var hidden = BenchArgs.Int(args, "--hidden", 64);
        var folds = BenchArgs.Int(args, "--folds", 5);
        var ensemble = BenchArgs.Int(args, "--ensemble", 5);
        var settings = new MultiLabelHeads.Settings(Epochs: BenchArgs.Int(args, "--epochs", hidden > 0 ? 6 : 40),
            L2: GuardrailEval.Arg(args, "--l2") is { } l2 ? float.Parse(l2, CultureInfo.InvariantCulture) : 1e-3f,
            LearningRate: GuardrailEval.Arg(args, "--lr") is { } lr ? float.Parse(lr, CultureInfo.InvariantCulture) : 0.001f);
        if (!Directory.Exists(dataDir))
        {
            Console.Error.WriteLine($"train-safety: no training data at {dataDir} (run from the repository root, or pass --data)");
            return 2;
        }

        var (rows, sources) = LoadRows(args, dataDir, sharedDir);
        var categories = SafetyCategories.All;
        Console.WriteLine($"train-safety: {rows.Count} texts from {string.Join(", ", sources)}");
        Console.WriteLine("  positives: " + string.Join(", ", categories.Select(c => $"{c} {rows.Count(r => r.Labels.Contains(c))}")) + $"; safe {rows.Count(r => r.Labels.Count == 0)}");

        var embedder = TextEmbedder.Create(new EmbeddingOptions { Threads = 2 });
        var cache = new EmbeddingCache(embedder, Path.Combine(AppContext.BaseDirectory, "embedding-cache.bin"));
        var x = await cache.EmbedAsync(rows.Select(r => r.Text).ToList());
        var y = rows.Select(r => categories.Select(c => r.Labels.Contains(c)).ToArray()).ToArray();
        // Features on one scale (z-scores); folded back into the first layer's weights when the file is written.
        var dims = x[0].Length;
        var featureMean = new float[dims];
        var featureStd = new float[dims];
        foreach (var v in x) for (var d = 0; d < dims; d++) featureMean[d] += v[d] / x.Length;
        foreach (var v in x) for (var d = 0; d < dims; d++) featureStd[d] += (v[d] - featureMean[d]) * (v[d] - featureMean[d]) / x.Length;
        for (var d = 0; d < dims; d++) featureStd[d] = MathF.Max(1e-4f, MathF.Sqrt(featureStd[d]));
        x = x.Select(v => v.Select((f, d) => (f - featureMean[d]) / featureStd[d]).ToArray()).ToArray();
        var positiveWeight = categories.Select((c, o) =>
        {
            var pos = y.Count(v => v[o]);
            return pos == 0 ? 1f : (float)Math.Min(20, Math.Sqrt((rows.Count - pos) / (double)pos));
        }).ToArray();

        // Out-of-fold logits: every text scored by heads that never saw it.
        var random = new Random(5);
        var fold = rows.Select(_ => random.Next(folds)).ToArray();
        var oof = new float[rows.Count][];
        for (var f = 0; f < folds; f++)
        {
            // --fit-check: score the training data itself (how well the heads can fit at all, not how they generalise).
            var train = Enumerable.Range(0, rows.Count).Where(i => fold[i] != f || args.Contains("--fit-check")).ToArray();
            var model = TrainModel(train.Select(i => x[i]).ToArray(), train.Select(i => y[i]).ToArray(), positiveWeight, hidden, settings, ensemble);
            for (var i = 0; i < rows.Count; i++) if (fold[i] == f) oof[i] = model.Logits(x[i]);
            Console.Error.WriteLine($"  fold {f + 1}/{folds} trained");
        }

        if (GuardrailEval.Arg(args, "--prior") is { } prior) PositiveShare = double.Parse(prior, CultureInfo.InvariantCulture);
        var calibration = categories.Select((_, o) => Platt(oof.Select(l => l[o]).ToArray(), y.Select(v => v[o]).ToArray())).ToArray();
        var calibrated = oof.Select(l => l.Select((z, o) => MultiLabelHeads.Sigmoid(calibration[o].A * z + calibration[o].B)).ToArray()).ToArray();

        Console.WriteLine();
        Console.WriteLine($"Cross-validated ({folds} folds) per category, calibrated score ≥ 0.5:");
        Console.WriteLine("  category          pos    neg  precision  recall     f1    auc");
        var metrics = new Dictionary<string, HeadMetrics>();
        for (var o = 0; o < categories.Count; o++)
        {
            var m = Metrics(calibrated.Select(p => p[o]).ToArray(), y.Select(v => v[o]).ToArray(), 0.5f);
            metrics[categories[o]] = m;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {categories[o],-15} {m.Positives,5} {m.Negatives,6}  {m.Precision,9:0.000}  {m.Recall,6:0.000}  {m.F1,5:0.000}  {m.Auc,5:0.000}"));
        }

        // What a tenant on the platform's rules would see: any category over its threshold = refused or held.
        Console.WriteLine();
        Console.WriteLine("Cross-validated, any category over the platform's threshold (block or hold), per source:");
        Console.WriteLine("  source                      unsafe  caught  recall    safe  blocked  false_block");
        var thresholds = categories.Select(c => (float)GuardrailPolicy.PlatformSafety[c].Threshold).ToArray();
        foreach (var group in rows.Select((r, i) => (r.Source, i)).GroupBy(t => t.Source).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            int unsafeN = 0, caught = 0, safeN = 0, blocked = 0;
            foreach (var (_, i) in group)
            {
                var flagged = calibrated[i].Select((p, o) => p >= thresholds[o]).Any(b => b);
                if (rows[i].Labels.Count > 0) { unsafeN++; if (flagged) caught++; }
                else { safeN++; if (flagged) blocked++; }
            }
            var why = group.Where(t => rows[t.i].Labels.Count == 0)
                .SelectMany(t => categories.Where((c, o) => calibrated[t.i][o] >= thresholds[o]))
                .GroupBy(c => c).OrderByDescending(g => g.Count()).Take(4).Select(g => $"{g.Key} {g.Count()}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {group.Key,-26} {unsafeN,7} {caught,7} {(unsafeN == 0 ? 0 : caught / (double)unsafeN),7:0.000} {safeN,7} {blocked,8} {(safeN == 0 ? 0 : blocked / (double)safeN),12:0.000}  ({string.Join(", ", why)})"));
        }
        Console.WriteLine();
        Console.WriteLine("Sweep: one threshold for every category (own unsafe recall / own safe false block / everyday false block):");
        foreach (var t in new[] { 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f })
        {
            int ou = 0, oc = 0, os = 0, ob = 0, es = 0, eb = 0;
            for (var i = 0; i < rows.Count; i++)
            {
                var flagged = calibrated[i].Any(p => p >= t);
                var own = rows[i].Source.StartsWith("own:", StringComparison.Ordinal);
                if (own && rows[i].Labels.Count > 0) { ou++; if (flagged) oc++; }
                else if (own) { os++; if (flagged) ob++; }
                else if (rows[i].Source == "clinc150") { es++; if (flagged) eb++; }
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {t:0.0}: {oc / (double)Math.Max(1, ou):0.000} / {ob / (double)Math.Max(1, os):0.000} / {eb / (double)Math.Max(1, es):0.000}"));
        }
        if (args.Contains("--show-mistakes"))
        {
            Console.WriteLine();
            Console.WriteLine("Cross-validated mistakes on the project's own data:");
            for (var i = 0; i < rows.Count; i++)
            {
                if (!rows[i].Source.StartsWith("own:", StringComparison.Ordinal)) continue;
                var flagged = categories.Where((c, o) => calibrated[i][o] >= thresholds[o]).ToList();
                if ((flagged.Count > 0) == (rows[i].Labels.Count > 0)) continue;
                var top = categories.Select((c, o) => (c, p: calibrated[i][o])).OrderByDescending(t => t.p).First();
                Console.WriteLine($"  [{string.Join(",", rows[i].Labels)}] → [{string.Join(",", flagged)}] top {top.c} {top.p:0.00}: {rows[i].Text[..Math.Min(140, rows[i].Text.Length)]}");
            }
        }

        if (args.Contains("--no-write")) return 0;
        var final = TrainModel(x, y, positiveWeight, hidden, settings, ensemble);
        final.FoldStandardisation(featureMean, featureStd);
        // The version names the data and the settings: the same data trained differently is another model.
        var recipe = $"hidden={hidden} ensemble={ensemble} epochs={settings.Epochs} lr={settings.LearningRate} l2={settings.L2} prior={PositiveShare}\n";
        var dataHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(recipe + string.Join("\n", rows.Select(r => r.Text + "\t" + string.Join(",", r.Labels.Order()))))))[..8];
        var file = new SafetyModelFile
        {
            FormatName = SafetyModel.Format,
            Version = $"{DateTime.UtcNow:yyyy-MM-dd}.{dataHash}",
            EmbeddingModel = MiniLmEmbeddingGenerator.ModelName,
            Dimensions = x[0].Length,
            Hidden = hidden > 0 ? new SafetyModelFile.HiddenLayer { Weights = Round(final.W1), Bias = Round(final.B1) } : null,
            Heads = categories.Select((c, o) => new SafetyModelFile.HeadFile
            {
                Category = c,
                Weights = Round(final.W2[o]),
                Bias = final.B2[o],
                Calibration = new SafetyModelFile.Calibration { A = calibration[o].A, B = calibration[o].B },
                CrossValidated = metrics[c],
            }).ToList(),
            Training = new Dictionary<string, JsonElement>
            {
                ["command"] = JsonSerializer.SerializeToElement("dotnet run -c Release --project Bench -- train-safety " + string.Join(' ', args)),
                ["texts"] = JsonSerializer.SerializeToElement(rows.Count),
                ["sources"] = JsonSerializer.SerializeToElement(sources),
                ["hidden"] = JsonSerializer.SerializeToElement(hidden),
                ["ensemble"] = JsonSerializer.SerializeToElement(ensemble),
                ["epochs"] = JsonSerializer.SerializeToElement(settings.Epochs),
                ["calibration"] = JsonSerializer.SerializeToElement($"Platt scaling on out-of-fold logits, unsafe share taken as {PositiveShare}"),
            },
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
        await File.WriteAllTextAsync(outPath, JsonSerializer.Serialize(file, SafetyModel.FileJson));
        SafetyModel.Load(outPath); // what was written must load
        Console.WriteLine();
        Console.WriteLine($"wrote {outPath}: version {file.Version}, {categories.Count} heads{(final.Hidden > 0 ? $" behind {final.Hidden} hidden units ({ensemble} × {hidden})" : "")}, {new FileInfo(outPath).Length / 1024} KB");
        return 0;
    }

    /// <summary>The training texts: the project's own, then the public sets and CLINC150 when the shared folder is there; one row per distinct text.</summary>
    internal static (List<LabelledText> Rows, List<string> Sources) LoadRows(string[] args, string dataDir, string sharedDir)
    {
        var rows = TrainingData.Own(dataDir);
        var sources = new List<string> { $"{dataDir}/*.jsonl ({rows.Count})" };
        var toxigen = Path.Combine(sharedDir, "safety-train", "toxigen.jsonl");
        var davidson = Path.Combine(sharedDir, "safety-train", "davidson.jsonl");
        var clinc = Path.Combine(sharedDir, "clinc150", "train_val.json");
        if (File.Exists(toxigen)) { var t = TrainingData.ToxiGen(toxigen); rows.AddRange(t); sources.Add($"toxigen ({t.Count})"); }
        if (File.Exists(davidson)) { var d = TrainingData.Davidson(davidson); rows.AddRange(d); sources.Add($"davidson hate/neither ({d.Count})"); }
        if (File.Exists(clinc)) { var c = TrainingData.ClincSafe(clinc, BenchArgs.Int(args, "--clinc", 15100)); rows.AddRange(c); sources.Add($"clinc150 train, as safe ({c.Count})"); }
        if (!File.Exists(toxigen)) Console.Error.WriteLine($"train-safety: {sharedDir} has no public sets; training on the project's own data only");
        rows = rows.GroupBy(r => r.Text.ToLowerInvariant()).Select(g => g.OrderByDescending(r => r.Labels.Count).First()).ToList();

        return (rows, sources);
    }

    /// <summary>
    /// One model, or <paramref name="ensemble"/> of them from different seeds merged into one: K
    /// networks of H hidden units whose logits are averaged are one network of K·H hidden units with
    /// the output weights divided by K, so the weights file keeps its format.
    /// </summary>
    private static MultiLabelHeads TrainModel(float[][] x, bool[][] y, float[] positiveWeight, int hidden, MultiLabelHeads.Settings settings, int ensemble)
    {
        if (ensemble <= 1 || hidden == 0) return MultiLabelHeads.Train(x, y, positiveWeight, hidden, settings);
        var members = Enumerable.Range(0, ensemble).Select(k => MultiLabelHeads.Train(x, y, positiveWeight, hidden, settings with { Seed = settings.Seed + 101 * k })).ToList();
        var outputs = y[0].Length;
        return new MultiLabelHeads
        {
            Inputs = x[0].Length,
            Hidden = hidden * ensemble,
            Outputs = outputs,
            W1 = members.SelectMany(m => m.W1).ToArray(),
            B1 = members.SelectMany(m => m.B1).ToArray(),
            W2 = Enumerable.Range(0, outputs).Select(o => members.SelectMany(m => m.W2[o].Select(w => w / ensemble)).ToArray()).ToArray(),
            B2 = Enumerable.Range(0, outputs).Select(o => members.Average(m => m.B2[o])).ToArray(),
        };
    }

    private static float[] Round(float[] v) => v.Select(w => MathF.Round(w, 4)).ToArray();

    private static float[][] Round(float[][] m) => m.Select(Round).ToArray();

    /// <summary>
    /// Platt scaling: p = σ(a·z + b) fitted by Newton's method on the out-of-fold logits, with the
    /// classes weighted to <see cref="PositiveShare"/> — a score then reads as "how likely unsafe, if
    /// that share of messages of this kind were unsafe", independent of how many of each the data holds.
    /// </summary>
    /// <summary>
    /// The share of a category's messages assumed unsafe when calibrating. Balanced (0.5) would make
    /// every head cry wolf on everyday traffic; the training data's own share (~2 %) would make a
    /// score of 0.5 need overwhelming evidence. One in five keeps "0.5" a sensible default line.
    /// </summary>
    private static double PositiveShare = 0.2;

    private static (float A, float B) Platt(float[] z, bool[] y)
    {
        var pos = y.Count(v => v);
        var neg = y.Length - pos;
        if (pos == 0 || neg == 0) return (1, 0);
        double wPos = PositiveShare / pos, wNeg = (1 - PositiveShare) / neg;
        double a = 1, b = 0;
        for (var iter = 0; iter < 50; iter++)
        {
            double ga = 0, gb = 0, haa = 1e-9, hab = 0, hbb = 1e-9;
            for (var i = 0; i < z.Length; i++)
            {
                var p = 1 / (1 + Math.Exp(-(a * z[i] + b)));
                var w = y[i] ? wPos : wNeg;
                var d = w * (p - (y[i] ? 1 : 0));
                ga += d * z[i]; gb += d;
                var s = w * p * (1 - p);
                haa += s * z[i] * z[i]; hab += s * z[i]; hbb += s;
            }
            haa += 1e-6; hbb += 1e-6; // a little ridge keeps the step defined
            var det = haa * hbb - hab * hab;
            var da = (hbb * ga - hab * gb) / det;
            var db = (haa * gb - hab * ga) / det;
            var step = Math.Max(1, (Math.Abs(da) + Math.Abs(db)) / 2); // damped: saturated logits make Newton overshoot
            a -= da / step; b -= db / step;
            if (Math.Abs(da) + Math.Abs(db) < 1e-7) break;
        }
        if (!double.IsFinite(a) || !double.IsFinite(b) || a <= 0)
            throw new InvalidOperationException($"calibration failed (a={a}, b={b}): the head does not rank unsafe above safe; check its data");
        return ((float)a, (float)b);
    }

    private static HeadMetrics Metrics(float[] p, bool[] y, float threshold)
    {
        int tp = 0, fp = 0, fn = 0, tn = 0;
        for (var i = 0; i < p.Length; i++)
        {
            var predicted = p[i] >= threshold;
            if (y[i] && predicted) tp++; else if (y[i]) fn++; else if (predicted) fp++; else tn++;
        }
        var precision = tp + fp == 0 ? 0 : tp / (double)(tp + fp);
        var recall = tp + fn == 0 ? 0 : tp / (double)(tp + fn);
        var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        // AUC as the chance a random positive outscores a random negative (rank statistic).
        var ranked = p.Select((s, i) => (s, y[i])).OrderBy(t => t.s).ToArray();
        double rankSum = 0;
        for (var i = 0; i < ranked.Length; i++) if (ranked[i].Item2) rankSum += i + 1;
        var pos = tp + fn;
        var neg = fp + tn;
        var auc = pos == 0 || neg == 0 ? 0 : (rankSum - pos * (pos + 1) / 2.0) / (pos * (double)neg);
        return new HeadMetrics(pos, neg, Math.Round(precision, 4), Math.Round(recall, 4), Math.Round(f1, 4), Math.Round(auc, 4));
    }
}
