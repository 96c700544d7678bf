using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Grains.Guardrails;
using Grains.Pipeline;
using Grains.Tenants;
using HdrHistogram;

namespace Bench;

/// <summary>
/// <c>eval --cases FILE.jsonl [--tenant ID] [--topics FILE.json [--threshold T]] [--chain input|output] [--pii-action redact|block]</c>:
/// runs a labelled set through a tenant's guardrail chain and scores the "block" class
/// (block and hold count as block; rewrite counts as allow: the message goes on, redacted).
/// </summary>
internal static class GuardrailEval
{
    private sealed record Case(string Text, string Label);

    private sealed record TopicsFile(Dictionary<string, List<string>>? Allowed, Dictionary<string, List<string>>? Blocked);

    public static async Task<int> RunAsync(string[] args)
    {
        var casesPath = Arg(args, "--cases") ?? throw new ArgumentException("--cases FILE.jsonl is required");
        var tenantId = Arg(args, "--tenant") ?? DemoTenants.OpenAssistant.TenantId;
        var tenant = DemoTenants.All.FirstOrDefault(t => t.TenantId == tenantId)
                     ?? throw new ArgumentException($"unknown tenant '{tenantId}' (known: {string.Join(", ", DemoTenants.All.Select(t => t.TenantId))})");
        if (Arg(args, "--topics") is { } topicsPath)
        {
            var topics = JsonSerializer.Deserialize<TopicsFile>(File.ReadAllText(topicsPath), JsonOptions)
                         ?? throw new InvalidDataException($"{topicsPath} is empty");
            tenant = tenant with
            {
                Catalog = [],
                Policy = tenant.Policy with
                {
                    AllowedTopics = (topics.Allowed ?? []).ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value),
                    BlockedTopics = (topics.Blocked ?? []).ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value),
                },
            };
        }
        // New examples get the threshold the policy page proposes for them (what an admin does after
        // pasting examples), unless --threshold names one.
        if (Arg(args, "--topics") is not null && tenant.Policy.AllowedTopics.Count > 0)
        {
            var chainsForTopics = Chains();
            var proposal = Grains.Guardrails.Topics.TopicThresholdAdvisor.Propose(await chainsForTopics.Topics.GetAsync(tenant.Policy), tenant.Policy.TopicNeighbours,
                await Grains.Guardrails.Topics.OffTopicBackground.VectorsAsync(chainsForTopics.Embedder), tenant.Policy.AllowedTopics);
            var threshold = Arg(args, "--threshold") is { } t ? double.Parse(t, CultureInfo.InvariantCulture) : proposal.Threshold;
            tenant = tenant with { Policy = tenant.Policy with { OnTopicThreshold = threshold } };
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"topics from {Arg(args, "--topics")}: on-topic threshold {threshold:0.00} (proposed {proposal.Threshold:0.00}: {proposal.Explanation})"));
        }
        // Detection of personal data is a rewrite under the default policy; to score it as a class, refuse instead.
        if (Arg(args, "--pii-action") is { } piiAction)
            tenant = tenant with { Policy = tenant.Policy with { CustomerPii = Enum.Parse<PiiAction>(piiAction, ignoreCase: true) } };
        var chains = Chains(args);
        var chain = Arg(args, "--chain") == "output" ? chains.Output : chains.Input;
        var cases = ReadCases(casesPath);

        var histogram = new LongHistogram(10_000_000, 3);
        var confusion = new Dictionary<(string Actual, string Predicted), int>();
        var mistakes = new List<string>();
        foreach (var c in cases.Take(50)) await chain.RunAsync(tenant, c.Text); // warm-up: model load, JIT, topic index
        foreach (var c in cases)
        {
            var started = Stopwatch.GetTimestamp();
            var outcome = await chain.RunAsync(tenant, c.Text);
            histogram.RecordValue(Math.Max(1, (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds));
            var predicted = outcome.Decision.Decision is VerdictDecision.Block or VerdictDecision.Hold or VerdictDecision.Flag ? "block" : "allow";
            confusion[(c.Label, predicted)] = confusion.GetValueOrDefault((c.Label, predicted)) + 1;
            if (predicted != c.Label) mistakes.Add($"  {c.Label} predicted {predicted} ({outcome.Decision.Rule}): {c.Text}");
        }

        int Count(string actual, string predicted) => confusion.GetValueOrDefault((actual, predicted));
        var tp = Count("block", "block");
        var fp = Count("allow", "block");
        var fn = Count("block", "allow");
        var tn = Count("allow", "allow");
        var precision = tp + fp == 0 ? 1 : tp / (double)(tp + fp);
        var recall = tp + fn == 0 ? 1 : tp / (double)(tp + fn);
        var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        var falseBlockRate = fp + tn == 0 ? 0 : fp / (double)(fp + tn);

        Console.WriteLine($"{cases.Count} cases from {casesPath}, tenant {tenant.TenantId}, {(Arg(args, "--chain") ?? "input")} chain, policy v{tenant.Policy.Version}, {chains.SafetyModel.Name}");
        Console.WriteLine("                 predicted block  predicted allow");
        Console.WriteLine($"  actual block   {tp,15}  {fn,15}");
        Console.WriteLine($"  actual allow   {fp,15}  {tn,15}");
        if (mistakes.Count > 0)
        {
            Console.WriteLine("Mistakes:");
            foreach (var m in mistakes) Console.WriteLine(m);
        }
        Console.WriteLine($"Chain latency per message (embedding included): p50 {histogram.GetValueAtPercentile(50)} us, p99 {histogram.GetValueAtPercentile(99)} us");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"precision={precision:0.000} recall={recall:0.000} f1={f1:0.000} false_block_rate={falseBlockRate:0.000} n={cases.Count} p99_us={histogram.GetValueAtPercentile(99)}"));
        return 0;
    }

    /// <summary>The chains as a silo builds them: in-process MiniLM, the shipped safety heads.</summary>
    internal static GuardrailChains Chains() => Chains(null);

    /// <summary>The chains as a silo builds them; <c>--weights FILE</c> compares a retrained weights file before it ships.</summary>
    internal static GuardrailChains Chains(string[]? args) => GuardrailChains.Create(weightsFile: args is null ? null : Arg(args, "--weights"));

    private static List<Case> ReadCases(string path)
    {
        var cases = new List<Case>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var c = JsonSerializer.Deserialize<Case>(line, JsonOptions);
            if (c is null || string.IsNullOrEmpty(c.Text) || c.Label is not ("allow" or "block"))
                throw new InvalidDataException($"{path}:{lineNumber}: expected {{\"text\": \"...\", \"label\": \"allow\" | \"block\"}}");
            cases.Add(c);
        }
        return cases;
    }

    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    internal static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
