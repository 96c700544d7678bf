using System.Diagnostics;
using Grains.Pipeline;
using Grains.Tenants;

namespace Grains.Guardrails;

/// <summary>One detector on a customer message (input) or a model answer (output). Null means "no objection".</summary>
public interface IGuardrail
{
    string Name { get; }

    Verdict? Check(TenantProfile tenant, string text);
}

/// <summary>What a chain decided, every verdict that led there, the text to pass on (after rewrites), and how long it took.</summary>
public sealed record GuardrailOutcome(Verdict Decision, IReadOnlyList<Verdict> Verdicts, string Text, double Microseconds)
{
    /// <summary>The verdicts that did more than allow: what a moderator sees beside a held item.</summary>
    public IReadOnlyList<Verdict> Concerns => Verdicts.Where(v => v.Decision != VerdictDecision.Allow).ToList();
}

/// <summary>
/// Runs a stage's detectors in order under the tenant's policy. Every objection is kept (for audit);
/// a rewrite passes its text on to the next detector; the most severe decision decides
/// (block › hold › flag › rewrite › allow). Plain class: tested without a cluster.
/// </summary>
public sealed class GuardrailChain(string stage, IReadOnlyList<IGuardrail> guardrails)
{
    public GuardrailOutcome Run(TenantProfile tenant, string text)
    {
        var started = Stopwatch.GetTimestamp();
        var verdicts = new List<Verdict>();
        var current = text;
        foreach (var guardrail in guardrails)
        {
            if (guardrail.Check(tenant, current) is not { } verdict) continue;
            verdict = verdict with
            {
                Stage = stage,
                PolicyVersion = tenant.Policy.Version,
                Detector = verdict.Detector.Length == 0 ? guardrail.Name : verdict.Detector,
            };
            verdicts.Add(verdict);
            if (verdict is { Decision: VerdictDecision.Rewrite, Rewritten: { } rewritten }) current = rewritten;
            if (verdict.Decision == VerdictDecision.Block) break; // nothing after a refusal changes the outcome
        }
        var deciding = verdicts.OrderByDescending(v => Severity(v.Decision)).FirstOrDefault()
                       ?? new Verdict(stage, VerdictDecision.Allow, "none", "no guardrail objected", "", 0, "", tenant.Policy.Version);
        return new GuardrailOutcome(deciding, verdicts, current, Stopwatch.GetElapsedTime(started).TotalMicroseconds);
    }

    public Verdict Evaluate(TenantProfile tenant, string text) => Run(tenant, text).Decision;

    private static int Severity(VerdictDecision decision) => decision switch
    {
        VerdictDecision.Block => 4,
        VerdictDecision.Hold => 3,
        VerdictDecision.Flag => 2,
        VerdictDecision.Rewrite => 1,
        _ => 0,
    };

    public static GuardrailChain Input() => new("input-guardrail",
        [new PromptInjectionDetector(), new UnsafeRequestGuardrail(), new ToxicityDetector(), new PiiDetector(), new TopicDetector()]);

    public static GuardrailChain Output() => new("output-guardrail",
        [new BrandDetector(), new DiscountDetector(), new DomainAdviceDetector()]);
}
