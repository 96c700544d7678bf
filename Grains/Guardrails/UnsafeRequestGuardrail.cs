using System.Text.RegularExpressions;
using Grains.Pipeline;
using Grains.Tenants;

namespace Grains.Guardrails;

/// <summary>Requests for help with intrusion, theft or violence are refused whatever the topic ("how to hack a Tesla").</summary>
public sealed partial class UnsafeRequestGuardrail : IGuardrail
{
    public string Name => "unsafe-request";

    public Verdict? Check(TenantProfile tenant, string text)
    {
        var match = Unsafe().Match(text);
        return match.Success
            ? new Verdict("", VerdictDecision.Block, "unsafe.security-abuse", $"asks for help with '{match.Value.ToLowerInvariant()}'",
                "Sorry, I can't help with that request.", 1.0, Name)
            : null;
    }

    [GeneratedRegex(@"\b(hack(s|ing|ed)?|jailbreak|exploit|malware|ransomware|steal(ing)?|hotwir(e|ing)|break\s+into|disable\s+the\s+(alarm|immobili[sz]er|tracker)|bomb|weapons?|kill)\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Unsafe();
}
