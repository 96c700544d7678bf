using System.Security.Cryptography;
using System.Text;
using Grains.Guardrails.Embeddings;

namespace Bench.Training;

/// <summary>
/// Embeds training texts once: vectors are kept in a cache file beside the bench's binaries, keyed
/// by model and text, so a second training run (a different head, more data) re-embeds only what
/// is new.
/// </summary>
internal sealed class EmbeddingCache(TextEmbedder embedder, string path)
{
    private readonly Dictionary<string, float[]> _vectors = Load(path);

    public async Task<float[][]> EmbedAsync(IReadOnlyList<string> texts)
    {
        var missing = texts.Where(t => !_vectors.ContainsKey(Key(t))).Distinct().ToList();
        if (missing.Count > 0)
        {
            Console.Error.WriteLine($"  embedding {missing.Count} texts not in the cache ({embedder.ModelName})...");
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            for (var i = 0; i < missing.Count; i += 32)
            {
                var batch = missing.Skip(i).Take(32).ToList();
                var vectors = await embedder.EmbedManyAsync(batch);
                for (var j = 0; j < batch.Count; j++) _vectors[Key(batch[j])] = vectors[j];
            }
            Console.Error.WriteLine($"  embedded in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
            Save();
        }
        return texts.Select(t => _vectors[Key(t)]).ToArray();
    }

    private string Key(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(embedder.ModelName + "\u0001" + text)))[..32];

    private static Dictionary<string, float[]> Load(string path)
    {
        var vectors = new Dictionary<string, float[]>();
        if (!File.Exists(path)) return vectors;
        using var reader = new BinaryReader(File.OpenRead(path));
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            var key = reader.ReadString();
            var v = new float[reader.ReadInt32()];
            for (var j = 0; j < v.Length; j++) v[j] = reader.ReadSingle();
            vectors[key] = v;
        }
        return vectors;
    }

    private void Save()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(_vectors.Count);
        foreach (var (key, v) in _vectors)
        {
            writer.Write(key);
            writer.Write(v.Length);
            foreach (var x in v) writer.Write(x);
        }
    }
}
