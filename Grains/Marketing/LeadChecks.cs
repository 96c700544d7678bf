using System.Net.Mail;
using Grains.Pipeline;

namespace Grains.Marketing;

/// <summary>
/// The lead form's limits, checked where a lead is submitted and again by every step, whoever wrote the event: a lead
/// outside them is refused with the reason (dead-lettered), never retried.
/// </summary>
public static class LeadChecks
{
    public const int MaxName = 120;
    public const int MaxCompany = 160;
    public const int MaxEmail = 254;
    public const int MaxInterest = 1000;
    public const int MaxPitch = 4000;

    /// <summary>The form's fields: what the person who filled it in is told, field by field; empty when it is fine.</summary>
    public static IReadOnlyList<(string Field, string Message)> Form(string? name, string? email, string? company, string? interest)
    {
        var problems = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(name)) problems.Add(("name", "Please tell us your name."));
        else if (name.Trim().Length > MaxName) problems.Add(("name", $"Names are limited to {MaxName} characters."));
        if (string.IsNullOrWhiteSpace(email)) problems.Add(("email", "Please give an e-mail address we can answer to."));
        else if (email.Trim().Length > MaxEmail || !IsEmail(email.Trim())) problems.Add(("email", $"'{Cut(email.Trim())}' is not an e-mail address."));
        if (company is { Length: > MaxCompany }) problems.Add(("company", $"Company names are limited to {MaxCompany} characters."));
        if (string.IsNullOrWhiteSpace(interest)) problems.Add(("interest", "Please tell us what you are interested in."));
        else if (interest.Trim().Length > MaxInterest) problems.Add(("interest", $"Please keep it under {MaxInterest} characters (yours has {interest.Trim().Length})."));
        if (new[] { name, email, company }.Any(v => v is not null && v.Any(char.IsControl))) problems.Add(("form", "The form contains control characters."));
        return problems;
    }

    /// <summary>A lead event's own fields: ids, the key the message was written under, the form's limits; null when fine.</summary>
    public static string? Shape(Lead lead, string streamKey)
    {
        if (string.IsNullOrWhiteSpace(lead.LeadId) || lead.LeadId.Length > TurnChecks.MaxIdLength) return "leadId is empty or too long";
        if (!string.Equals(lead.LeadId, streamKey, StringComparison.Ordinal)) return $"leadId '{Cut(lead.LeadId)}' is not the lead the message key names ('{Cut(streamKey)}')";
        if (string.IsNullOrWhiteSpace(lead.TenantId) || lead.TenantId.Length > TurnChecks.MaxIdLength) return "tenantId is empty or too long";
        if (!Enum.IsDefined(lead.Tier)) return $"tier {(int)lead.Tier} is not free, pro or enterprise";
        if (Form(lead.Name, lead.Email, lead.Company, lead.Interest) is [var first, ..]) return $"{first.Field}: {first.Message}";
        if (lead.Pitch is { Length: > MaxPitch } pitch) return $"pitch has {pitch.Length} characters (at most {MaxPitch})";
        return null;
    }

    private static bool IsEmail(string value) =>
        MailAddress.TryCreate(value, out var address) && address.Address == value && address.Host.Contains('.', StringComparison.Ordinal);

    private static string Cut(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
