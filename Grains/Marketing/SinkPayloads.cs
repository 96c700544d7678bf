using System.Globalization;
using MimeKit;

namespace Grains.Marketing;

/// <summary>What each channel of step 10 sends for a lead: the Slack message, the e-mail, the CRM record.</summary>
public static class SinkPayloads
{
    /// <summary>How the outbox shows a JSON payload.</summary>
    public static readonly System.Text.Json.JsonSerializerOptions Readable = new() { WriteIndented = true };

    /// <summary>A Slack incoming-webhook body: text for notifications, blocks for the channel.</summary>
    public static object Slack(Lead lead) => new
    {
        text = $"New lead for {lead.TenantId}: {lead.Name}{(lead.Company is { } c ? $" ({c})" : "")}, score {lead.Kpis?.LeadScore ?? 0}",
        blocks = new object[]
        {
            new { type = "header", text = new { type = "plain_text", text = $"New lead: {lead.Name}" } },
            new
            {
                type = "section",
                fields = new object[]
                {
                    new { type = "mrkdwn", text = $"*E-mail*\n{lead.Email}" },
                    new { type = "mrkdwn", text = $"*Company*\n{lead.Company ?? "—"}" },
                    new { type = "mrkdwn", text = $"*Score*\n{(lead.Kpis?.LeadScore ?? 0).ToString(CultureInfo.InvariantCulture)}" },
                    new { type = "mrkdwn", text = $"*Products*\n{(lead.Products.Count == 0 ? "—" : string.Join(", ", lead.Products))}" },
                },
            },
            new { type = "section", text = new { type = "mrkdwn", text = $"*Asked about*\n{lead.Interest}" } },
            new { type = "context", elements = new object[] { new { type = "mrkdwn", text = lead.DecidedBy is { } by ? $"Approved by {by}" : "Sent without review (nothing risky)" } } },
        },
    };

    /// <summary>
    /// The e-mail to the lead. Its Message-ID is fixed by the lead, so a message sent twice in the window SMTP cannot
    /// close (sent, then a crash before it is recorded) is the same message to the receiving side.
    /// </summary>
    public static MimeMessage Email(Lead lead, string from, string tenantName)
    {
        var message = new MimeMessage { Subject = $"Your enquiry at {tenantName}", MessageId = MessageIdOf(lead) };
        var sender = MailboxAddress.Parse(from);
        if (string.IsNullOrEmpty(sender.Name)) sender.Name = tenantName;
        message.From.Add(sender);
        message.To.Add(new MailboxAddress(lead.Name, lead.Email));
        message.Headers.Add("X-Lead-Id", lead.LeadId);
        message.Body = new TextPart("plain") { Text = lead.Message ?? "" };
        return message;
    }

    public static string MessageIdOf(Lead lead) => $"{lead.LeadId}@{lead.TenantId}.leads.agent-platform";

    /// <summary>The CRM record, upserted by the lead's id.</summary>
    public static object Crm(Lead lead) => new
    {
        id = lead.LeadId,
        tenant = lead.TenantId,
        name = lead.Name,
        email = lead.Email,
        company = lead.Company,
        interest = lead.Interest,
        score = lead.Kpis?.LeadScore,
        products = lead.Products,
        status = "contacted",
        message = lead.Message,
        approvedBy = lead.DecidedBy,
        submittedAt = lead.SubmittedAt,
    };
}
