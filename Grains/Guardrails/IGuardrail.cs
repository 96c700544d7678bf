using Grains.Pipeline;
using Grains.Tenants;

namespace Grains.Guardrails;

/// <summary>One check on a customer message (input) or a model answer (output). Null means "no objection".</summary>
public interface IGuardrail
{
    string Name { get; }

    Verdict? Check(TenantProfile tenant, string text);
}

/// <summary>Runs guardrails in order; the first objection decides. Plain class: tested without a cluster.</summary>
public sealed class GuardrailChain(string stage, IReadOnlyList<IGuardrail> guardrails)
{
    public Verdict Evaluate(TenantProfile tenant, string text)
    {
        foreach (var guardrail in guardrails)
            if (guardrail.Check(tenant, text) is { } verdict)
                return verdict with { Stage = stage };
        return new Verdict(stage, VerdictDecision.Allow, "none", "no guardrail objected", "");
    }

    public static GuardrailChain Input() => new("input-guardrail",
        [new PromptInjectionGuardrail(), new UnsafeRequestGuardrail(), new TopicGuardrail()]);

    public static GuardrailChain Output() => new("output-guardrail", [new CompetitorGuardrail()]);
}
