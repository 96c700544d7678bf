namespace Grains.Marketing;

/// <summary>
/// Where step 10 delivers (<c>Marketing:Sinks</c>). Each channel unset (the embedded default) delivers to the built-in
/// outbox shown in the portal: nothing leaves the machine. Set, it is used.
/// </summary>
public sealed class SinkOptions
{
    public const string Section = "Marketing:Sinks";

    /// <summary>A Slack incoming webhook (<c>https://hooks.slack.com/services/…</c>): sales get a JSON POST per lead.</summary>
    public string? SlackWebhookUrl { get; set; }

    /// <summary>The CRM's lead collection: each lead is upserted with <c>PUT {CrmUrl}/{leadId}</c> (JSON).</summary>
    public string? CrmUrl { get; set; }

    /// <summary>A bearer token for the CRM, if it wants one.</summary>
    public string? CrmToken { get; set; }

    public SmtpOptions Smtp { get; set; } = new();

    public sealed class SmtpOptions
    {
        /// <summary>The SMTP server; unset = the outbox.</summary>
        public string? Host { get; set; }
        public int Port { get; set; } = 587;
        /// <summary>None, StartTls (default for 587) or SslOnConnect (465).</summary>
        public string Security { get; set; } = "StartTls";
        public string? User { get; set; }
        public string? Password { get; set; }
        /// <summary>The sender, e.g. <c>"Stuttgart Motors" &lt;sales@example.com&gt;</c>.</summary>
        public string From { get; set; } = "sales@agent-platform.local";
    }
}
