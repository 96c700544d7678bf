using Grains.Hosting;
using Grains.Tenants;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grains.Marketing;

public interface IMailerGrain : IGrainWithStringKey;

/// <summary>Step 10, e-mail to the lead: <c>email.send</c> → the SMTP server (MailKit), or the outbox.</summary>
[ImplicitStreamSubscription(LeadTopics.EmailSend)]
public sealed class MailerGrain(
    [PersistentState("sink-email", GrainStores.Conversations)] IPersistentState<SinkState> state,
    IOptions<SinkOptions> options, TimeProvider time, ILogger<MailerGrain> logger)
    : LeadSinkGrain(LeadStages.Mailer, state, time, logger), IMailerGrain
{
    protected override async Task<string> DeliverAsync(Lead lead)
    {
        var tenant = await TenantAsync(lead);
        var smtp = options.Value.Smtp;
        var message = SinkPayloads.Email(lead, smtp.From, tenant.Name);
        if (smtp.Host is not { Length: > 0 } host)
            return await ToOutboxAsync(lead, "email", lead.Email, message.Subject ?? "", lead.Message ?? "");
        using var client = new SmtpClient { Timeout = 30_000 };
        await client.ConnectAsync(host, smtp.Port, Enum.TryParse<SecureSocketOptions>(smtp.Security, ignoreCase: true, out var security) ? security : SecureSocketOptions.StartTls);
        if (smtp.User is { Length: > 0 } user) await client.AuthenticateAsync(user, smtp.Password ?? "");
        var reply = await client.SendAsync(message);
        Accepted(); // the server has the message: from here a crash before the record sends it again
        await client.DisconnectAsync(quit: true);
        return $"smtp {host}:{smtp.Port}: {reply}";
    }
}
