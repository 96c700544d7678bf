using System.Text.RegularExpressions;
using Grains.Pipeline;
using Grains.Tenants;

namespace Grains.Guardrails;

/// <summary>
/// Answers that give financial or legal advice, which a business must not let a model give on its
/// own: held for the finance or legal team (rules <c>domain.finance</c>, <c>domain.legal</c>).
/// </summary>
public sealed partial class DomainAdviceDetector : IGuardrail
{
    public string Name => "domain";

    public Verdict? Check(TenantProfile tenant, string text)
    {
        if (!tenant.Policy.HoldFinanceAndLegalAdvice) return null;
        if (Legal().Match(text) is { Success: true } legal)
            return Hold("domain.legal", $"legal advice: \"{legal.Value}\"", "our legal team");
        if (Finance().Match(text) is { Success: true } finance)
            return Hold("domain.finance", $"financial advice: \"{finance.Value}\"", "our finance team");
        return null;
    }

    private Verdict Hold(string rule, string reason, string team) =>
        new("", VerdictDecision.Hold, rule, reason, $"Good question — {team} will review this and get back to you shortly.", 0.85, Name);

    [GeneratedRegex(@"\b(you (should|could|can) (sue|take legal action)|(file|bring) a (lawsuit|claim)|you are (legally )?(entitled|liable)|(this|that) (is|would be) (illegal|a breach of contract)|legal advice|under (the )?(law|consumer rights act|gdpr) you)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Legal();

    [GeneratedRegex(@"\b(you should (invest|buy (shares|stocks?|bonds|crypto))|(invest|put) your (savings|money) in|guaranteed (return|profit)s?|(best|good) (investment|time to invest)|(take|get) a (loan|mortgage) (now|today)|tax (advice|deduction|loophole)s?|(will|going to) (rise|go up) in value)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Finance();
}
