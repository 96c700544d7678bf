using System.Globalization;
using Grains.Tenants;

namespace Bench;

/// <summary><c>try [--tenant ID] [--chain input|output] TEXT...</c>: one message through a demo tenant's chain, with every score (for tuning by hand).</summary>
internal static class TryGuardrails
{
    public static async Task<int> RunAsync(string[] args)
    {
        var tenantId = GuardrailEval.Arg(args, "--tenant") ?? DemoTenants.OpenAssistant.TenantId;
        var tenant = DemoTenants.All.Single(t => t.TenantId == tenantId);
        var chains = GuardrailEval.Chains();
        var chain = GuardrailEval.Arg(args, "--chain") == "output" ? chains.Output : chains.Input;
        var texts = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal)));
        foreach (var text in texts)
        {
            var outcome = await chain.RunAsync(tenant, text);
            Console.WriteLine($"{outcome.Decision.Decision} {outcome.Decision.Rule}: {text}");
            Console.WriteLine($"  {outcome.Decision.Reason}");
            if (outcome.Safety is { } safety)
                Console.WriteLine("  safety: " + string.Join(", ", safety.OrderByDescending(kv => kv.Value).Take(4).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:0.00}"))));
            if (outcome.Topic is { } topic)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  topic: {topic.AllowedTopic} {topic.AllowedScore:0.00} (threshold {tenant.Policy.OnTopicThreshold:0.00}); blocked {topic.BlockedTopic} {topic.BlockedScore:0.00}"));
        }
        return 0;
    }
}
