using System.Text.RegularExpressions;
using Grains.Pipeline;
using Grains.Tenants;

namespace Grains.Guardrails;

/// <summary>Attempts to override the assistant's instructions or extract its system prompt.</summary>
public sealed partial class PromptInjectionGuardrail : IGuardrail
{
    public string Name => "prompt-injection";

    public Verdict? Check(TenantProfile tenant, string text) =>
        Injection().IsMatch(text)
            ? new Verdict("", VerdictDecision.Block, "injection.instruction-override", "tries to override or reveal the assistant's instructions",
                "Sorry, I can't do that. I'm happy to help with questions about " + tenant.Business + ".")
            : null;

    [GeneratedRegex(@"\b(ignore|disregard|forget)\s+(all\s+|any\s+|your\s+|the\s+)?(previous|prior|above|earlier)?\s*(instructions|rules|prompts?)\b|\b(system|hidden)\s+prompt\b|\byou\s+are\s+now\b|\bpretend\s+(to\s+be|you\s+are)\b|\bdeveloper\s+mode\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Injection();
}
