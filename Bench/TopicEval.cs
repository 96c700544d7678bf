using System.Globalization;
using System.Text.Json;
using Grains.Guardrails;
using Grains.Tenants;

namespace Bench;

/// <summary>
/// <c>eval-topics DIR</c>: scores the topic detector on CLINC150 (train on train, report on val).
/// A dealership's topics are the <c>auto_and_commute</c> domain, a bank's <c>banking</c> and
/// <c>credit_cards</c>; every other domain and out-of-scope is off-topic. The data is read from DIR
/// for development only and never copied into the project.
/// </summary>
internal static class TopicEval
{
    public static int Run(string[] args)
    {
        var dir = args.Length > 1 ? args[1] : Path.Combine("..", "shared", "eval", "clinc150");
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

            Console.WriteLine();
            Console.WriteLine($"{tenant.Name}: on-topic = {string.Join(" + ", onTopicDomains)} ({allowed.Count} intents, {allowed.Sum(a => a.Value.Count)} training examples); val {val.Count(v => v.OnTopic)} on-topic, {val.Count(v => !v.OnTopic)} off-topic");
            Console.WriteLine("  threshold  on-topic recall  off-topic rejection");
            foreach (var threshold in new[] { 0.1, 0.15, 0.2, 0.25, 0.3, 0.4 })
            {
                var (recall, rejection, _) = Score(tenant, allowed, threshold, val);
                var mark = Math.Abs(threshold - tenant.Policy.OnTopicThreshold) < 1e-9 ? "  ← policy default" : "";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {threshold,9:0.00}  {recall,15:0.000}  {rejection,19:0.000}{mark}"));
            }
            var (r, j, confusion) = Score(tenant, allowed, tenant.Policy.OnTopicThreshold, val);
            Console.WriteLine($"  at {tenant.Policy.OnTopicThreshold:0.00}:        predicted on  predicted off");
            Console.WriteLine($"    actual on-topic   {confusion.OnOn,12}  {confusion.OnOff,13}");
            Console.WriteLine($"    actual off-topic  {confusion.OffOn,12}  {confusion.OffOff,13}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {tenant.TenantId}: on_topic_recall={r:0.000} off_topic_rejection={j:0.000}"));
        }
        return 0;
    }

    private static (double Recall, double Rejection, (int OnOn, int OnOff, int OffOn, int OffOff) Confusion) Score(
        TenantProfile tenant, Dictionary<string, IReadOnlyList<string>> allowed, double threshold, List<(string Text, bool OnTopic)> val)
    {
        // Only the classifier decides here: no vocabulary, no catalog words.
        var evaluated = tenant with { TopicVocabulary = [], Catalog = [], Policy = tenant.Policy with { AllowedTopics = allowed, BlockedTopics = new Dictionary<string, IReadOnlyList<string>>(), OnTopicThreshold = threshold } };
        var detector = new TopicDetector();
        int onOn = 0, onOff = 0, offOn = 0, offOff = 0;
        foreach (var (text, onTopic) in val)
        {
            var accepted = detector.Check(evaluated, text) is null;
            if (onTopic) { if (accepted) onOn++; else onOff++; }
            else { if (accepted) offOn++; else offOff++; }
        }
        return (onOn / (double)Math.Max(1, onOn + onOff), offOff / (double)Math.Max(1, offOn + offOff), (onOn, onOff, offOn, offOff));
    }
}
