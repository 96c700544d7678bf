using System.Numerics;
using System.Text.RegularExpressions;
using Grains.Pipeline;
using Grains.Tenants;

namespace Grains.Guardrails;

/// <summary>
/// Personal data in a customer's message: e-mail addresses, phone numbers, payment card numbers
/// (Luhn-valid only) and IBANs (mod-97-valid only). Redacted before the model sees them, or the
/// message refused, as the tenant's policy says.
/// </summary>
public sealed partial class PiiDetector : IGuardrail
{
    public string Name => "pii";

    public Verdict? Check(TenantProfile tenant, string text)
    {
        var found = new List<string>();
        var redacted = Email().Replace(text, m => Mark(found, "email"));
        redacted = Iban().Replace(redacted, m => IsIban(m.Value) ? Mark(found, "iban") : m.Value);
        redacted = Card().Replace(redacted, m => IsLuhn(m.Value) ? Mark(found, "card number") : m.Value);
        redacted = Phone().Replace(redacted, m => m.Value.Count(char.IsAsciiDigit) is >= 9 and <= 15 ? Mark(found, "phone") : m.Value);
        if (found.Count == 0) return null;

        var kinds = string.Join(", ", found.Distinct());
        return tenant.Policy.CustomerPii == PiiAction.Block
            ? new Verdict("", VerdictDecision.Block, "pii.present", $"contains personal data ({kinds})",
                "For your safety, please don't share personal details such as card numbers, IBANs, e-mail addresses or phone numbers here.",
                1.0, Name)
            : new Verdict("", VerdictDecision.Rewrite, "pii.redacted", $"personal data redacted ({kinds})", "", 1.0, Name, Rewritten: redacted);
    }

    private static string Mark(List<string> found, string kind)
    {
        found.Add(kind);
        return $"[{kind} removed]";
    }

    internal static bool IsLuhn(string candidate)
    {
        var digits = candidate.Where(char.IsAsciiDigit).Select(c => c - '0').ToArray();
        if (digits.Length is < 13 or > 19) return false;
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i];
            if (i % 2 == 1) { d *= 2; if (d > 9) d -= 9; }
            sum += d;
        }
        return sum % 10 == 0;
    }

    internal static bool IsIban(string candidate)
    {
        var iban = new string(candidate.Where(char.IsAsciiLetterOrDigit).ToArray()).ToUpperInvariant();
        if (iban.Length is < 15 or > 34) return false;
        var rearranged = iban[4..] + iban[..4];
        var numeric = string.Concat(rearranged.Select(c => char.IsAsciiDigit(c) ? c.ToString() : (c - 'A' + 10).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return BigInteger.Parse(numeric, System.Globalization.CultureInfo.InvariantCulture) % 97 == 1;
    }

    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")]
    private static partial Regex Email();

    [GeneratedRegex(@"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b", RegexOptions.IgnoreCase)]
    private static partial Regex Iban();

    // Not inside an IBAN-shaped string (letters + check digits before it) nor in the middle of a longer number.
    [GeneratedRegex(@"(?<![A-Za-z]{2}\d{2}[ ]?)(?<!\d[ \-]?)\b(?:\d[ \-]?){12,18}\d\b")]
    private static partial Regex Card();

    [GeneratedRegex(@"(?<![\w])(?:\+|00)?\d[\d \-()./]{7,18}\d(?![\w])")]
    private static partial Regex Phone();
}
