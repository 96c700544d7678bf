using System.Globalization;
using Grains.Pipeline;

namespace Grains.Guardrails.Safety;

/// <summary>
/// Scores a message in every safety category with the trained heads and applies the tenant's rule
/// for each (<see cref="GuardrailPolicy.Safety"/>): self-harm first, then the most severe action
/// whose threshold is reached (block › hold); the reason names every category over its threshold. On the
/// output side a refusal withholds the answer (flag: the tenant's fallback is sent instead).
/// </summary>
public sealed class SafetyClassifier(SafetyModel model, string stage) : IVectorGuardrail
{
    private readonly bool _output = stage == "output-guardrail";

    // Injection and privacy requests are things a customer asks; the heads learned them from
    // requests and read an assistant's "Answer to: ..." as one. Answers are judged on content.
    private static readonly HashSet<string> InputOnly = [SafetyCategories.Injection, SafetyCategories.Privacy];

    public string Name => "safety";

    public ValueTask<Verdict?> CheckAsync(GuardrailContext context)
    {
        var scores = model.Score(context.Embedding);
        var byCategory = new Dictionary<string, double>(scores.Length);
        for (var i = 0; i < scores.Length; i++) byCategory[model.Categories[i]] = Math.Round(scores[i], 3);
        context.Safety = byCategory;

        var policy = context.Tenant.Policy;
        // Self-harm decides whenever it is over its line: someone who may be in danger is answered as
        // such (a person, an emergency number), even when the words also read as violence.
        var over = byCategory
            .Select(kv => (Category: kv.Key, Score: kv.Value, Rule: policy.SafetyRuleFor(kv.Key)))
            .Where(x => x.Rule.Action != SafetyAction.Allow && x.Score >= x.Rule.Threshold)
            .Where(x => !_output || !InputOnly.Contains(x.Category))
            .OrderByDescending(x => x.Category == SafetyCategories.SelfHarm)
            .ThenByDescending(x => x.Rule.Action)
            .ThenByDescending(x => x.Score - x.Rule.Threshold)
            .ToList();
        if (over.Count == 0) return ValueTask.FromResult<Verdict?>(null);

        var (category, score, rule) = over[0];
        var reason = string.Join("; ", over.Select(x => string.Create(CultureInfo.InvariantCulture,
            $"{SafetyCategories.Describe(x.Category)} {x.Score:0.00} ≥ {x.Rule.Threshold:0.00} ({x.Rule.Action.ToString().ToLowerInvariant()})")));
        var decision = rule.Action == SafetyAction.Hold ? VerdictDecision.Hold
            : _output ? VerdictDecision.Flag
            : VerdictDecision.Block;
        var customerMessage = _output && decision == VerdictDecision.Flag
            ? context.Tenant.FallbackAnswer
            : SafetyCategories.CustomerMessage(category, rule.Action, context.Tenant.Business);
        return ValueTask.FromResult<Verdict?>(new Verdict("", decision, "safety." + category, reason, customerMessage, score, Name, Model: model.Name));
    }
}
