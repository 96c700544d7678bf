using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Grains.Guardrails.Embeddings;

namespace Bench;

/// <summary>
/// What one message costs the in-process embedding model, by batch size and by concurrent callers: the figure that
/// bounds the pipeline's turns per core (one or two texts per turn: the message, and an answer not seen lately). Texts are the bench's
/// labelled sets (customer messages and assistant answers), encoded in the order they come.
/// </summary>
internal static class EmbedBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var texts = BenchTexts(BenchArgs.Int(args, "--texts", 800));
        var generator = new MiniLmEmbeddingGenerator(threads: 1);
        Console.WriteLine($"{texts.Count} texts, mean {texts.Average(t => t.Length):0} characters; {Environment.ProcessorCount} cores");
        foreach (var callers in new[] { 1, Environment.ProcessorCount })
        foreach (var batch in new[] { 1, 2, 4, 8, 16 })
        {
            var elapsed = await TimeAsync(generator, texts, batch, callers);
            var perText = elapsed.TotalMilliseconds / texts.Count;
            var rate = texts.Count / elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"callers={callers} batch={batch} ms_per_text={perText:0.00} texts_per_s={rate:0}"));
        }
        return 0;
    }

    private static async Task<TimeSpan> TimeAsync(MiniLmEmbeddingGenerator generator, IReadOnlyList<string> texts, int batch, int callers)
    {
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var from = Interlocked.Add(ref next, batch) - batch + 1;
                if (from >= texts.Count) return;
                await generator.GenerateAsync(texts.Skip(from).Take(batch).ToList());
            }
        })));
        return Stopwatch.GetElapsedTime(started);
    }

    internal static List<string> BenchTexts(int count)
    {
        // The bench's own sets, found from the build output up to the project (dotnet run starts anywhere).
        var project = new DirectoryInfo(AppContext.BaseDirectory);
        while (project is not null && !Directory.Exists(Path.Combine(project.FullName, "safety-data"))) project = project.Parent;
        if (project is null) throw new DirectoryNotFoundException("Bench/safety-data not found above " + AppContext.BaseDirectory);
        var files = Directory.GetFiles(Path.Combine(project.FullName, "eval"), "*.jsonl").Order()
            .Concat(Directory.GetFiles(Path.Combine(project.FullName, "safety-data"), "*.jsonl").Order());
        var all = files.SelectMany(File.ReadLines).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToList();
        // Interleave the sets (every k-th text) so a batch mixes short messages and longer answers, as live traffic does.
        var step = Math.Max(1, all.Count / count);
        return Enumerable.Range(0, count).Select(i => all[(i * step) % all.Count]).ToList();
    }
}
