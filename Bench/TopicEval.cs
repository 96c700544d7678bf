using System.Globalization;
using System.Text.Json;
using Grains.Guardrails;
using Grains.Guardrails.Embeddings;
using Grains.Guardrails.Topics;
using Grains.Tenants;

namespace Bench;

/// <summary>
/// <c>eval-topics [DIR]</c>: scores the topic detector on CLINC150 (examples from train, reported on
/// val). A dealership's topics are the <c>auto_and_commute</c> domain, a bank's <c>banking</c> and
/// <c>credit_cards</c>; every other domain and out-of-scope is off-topic. Also shows what the policy
/// page would propose from a handful of examples per topic. The data is read from DIR for
/// development only and never copied into the project.
/// </summary>
internal static class TopicEval
{
    public static async Task<int> RunAsync(string[] args)
    {
        var dir = args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? args[1] : Path.Combine("..", "shared", "eval", "clinc150");
        var dataFile = Path.Combine(dir, "train_val.json");
        var domainsFile = Path.Combine(dir, "domains.json");
        if (!File.Exists(dataFile) || !File.Exists(domainsFile))
        {
            Console.WriteLine($"eval-topics: {dir} has no train_val.json/domains.json (CLINC150 is development data kept outside the project); skipping.");
            return 0;
        }
        Console.WriteLine($"eval-topics: reading CLINC150 from {dir} (development data, read in place, never copied into the project)");
        var data = JsonSerializer.Deserialize<Dictionary<string, List<List<string>>>>(File.ReadAllText(dataFile))!;
        var domains = JsonSerializer.Deserialize<Dictionary<string, List<string>>>(File.ReadAllText(domainsFile))!;
        var embedder = TextEmbedder.Create(new EmbeddingOptions());

        foreach (var demo in DemoTenants.All.Where(t => t.Policy.AllowedTopics.Count > 0))
        {
            var own = TopicThresholdAdvisor.Propose(await TopicIndex.BuildAsync(demo.Policy, embedder), demo.Policy.TopicNeighbours,
                await OffTopicBackground.VectorsAsync(embedder), demo.Policy.AllowedTopics);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{demo.TenantId}'s own examples: proposed {own.Threshold:0.00} ({own.Explanation}); its policy has {demo.Policy.OnTopicThreshold:0.00}"));
        }
        foreach (var (tenant, onTopicDomains) in new[]
                 {
                     (DemoTenants.StuttgartMotors, new[] { "auto_and_commute" }),
                     (DemoTenants.HarborBank, new[] { "banking", "credit_cards" }),
                 })
        {
            var onTopicIntents = onTopicDomains.SelectMany(d => domains[d]).ToHashSet();
            var allowed = data["train"].Where(r => onTopicIntents.Contains(r[1]))
                .GroupBy(r => r[1]).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(r => r[0]).ToList());
            var val = data["val"].Select(r => (Text: r[0], OnTopic: onTopicIntents.Contains(r[1])))
                .Concat(data["oos_val"].Select(r => (Text: r[0], OnTopic: false))).ToList();
            var vectors = await embedder.EmbedManyAsync(val.Select(v => v.Text).ToList());
            var smallTalk = val.Select(v => TopicDetector.IsSmallTalk(v.Text)).ToArray();

            Console.WriteLine();
            Console.WriteLine($"{tenant.Name}: on-topic = {string.Join(" + ", onTopicDomains)} ({allowed.Count} intents, {allowed.Sum(a => a.Value.Count)} training examples); val {val.Count(v => v.OnTopic)} on-topic, {val.Count(v => !v.OnTopic)} off-topic");
            foreach (var perTopic in new[] { int.MaxValue, 5 })
            {
                var examples = allowed.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value.Take(perTopic).ToList());
                var policy = new GuardrailPolicy { AllowedTopics = examples };
                var index = await TopicIndex.BuildAsync(policy, embedder);
                Console.WriteLine(perTopic == int.MaxValue ? "  all training examples:" : $"  only {perTopic} examples per intent ({examples.Sum(e => e.Value.Count)}):");
                Console.WriteLine("    k  threshold  on-topic recall  off-topic rejection");
                foreach (var k in new[] { 1, 3, 5 })
                {
                    var scores = vectors.Select(v => index.Score(v, k, show: 0).AllowedScore).ToArray();
                    foreach (var threshold in new[] { 0.35, 0.4, 0.45, 0.5, 0.55, 0.6 })
                    {
                        var (recall, rejection) = Score(val, scores, smallTalk, threshold);
                        var mark = k == policy.TopicNeighbours && Math.Abs(threshold - policy.OnTopicThreshold) < 1e-9 ? "  ← policy default" : "";
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {k}  {threshold,9:0.00}  {recall,15:0.000}  {rejection,19:0.000}{mark}"));
                    }
                }
                var proposal = TopicThresholdAdvisor.Propose(index, policy.TopicNeighbours, await OffTopicBackground.VectorsAsync(embedder));
                var proposedScores = vectors.Select(v => index.Score(v, policy.TopicNeighbours, show: 0).AllowedScore).ToArray();
                var (r, j) = Score(val, proposedScores, smallTalk, proposal.Threshold);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    proposed from the examples alone: {proposal.Threshold:0.00} ({proposal.Explanation}) → on-topic recall {r:0.000}, off-topic rejection {j:0.000}"));
                if (perTopic == int.MaxValue)
                {
                    var (dr, dj) = Score(val, proposedScores, smallTalk, policy.OnTopicThreshold);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {tenant.TenantId}: on_topic_recall={dr:0.000} off_topic_rejection={dj:0.000} (k={policy.TopicNeighbours}, threshold {policy.OnTopicThreshold:0.00})"));
                }
            }
        }
        return 0;
    }

    private static (double Recall, double Rejection) Score(List<(string Text, bool OnTopic)> val, double[] scores, bool[] smallTalk, double threshold)
    {
        int onOn = 0, onOff = 0, offOn = 0, offOff = 0;
        for (var i = 0; i < val.Count; i++)
        {
            var accepted = scores[i] >= threshold || smallTalk[i];
            if (val[i].OnTopic) { if (accepted) onOn++; else onOff++; }
            else { if (accepted) offOn++; else offOff++; }
        }
        return (onOn / (double)Math.Max(1, onOn + onOff), offOff / (double)Math.Max(1, offOn + offOff));
    }
}
