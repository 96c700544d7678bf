using Grains.Hosting;
using Grains.Pipeline;
using Microsoft.Extensions.Logging;

namespace Grains.Marketing;

/// <summary>What a sink remembers of its delivery for one lead.</summary>
[GenerateSerializer]
public sealed class SinkState
{
    [Id(0)] public DateTimeOffset? DeliveredAt { get; set; }
    /// <summary>Where it went (the outbox, a URL, an SMTP server's reply).</summary>
    [Id(1)] public string? Receipt { get; set; }
}

/// <summary>
/// A sink of step 10 for one lead: delivers once, then records that it did (in the grain store) before the offset is
/// committed. A redelivery after that finds the record and sends nothing. The window that stays: a crash after the
/// channel accepted and before the record is written sends again on redelivery; the CRM upsert by lead id makes that
/// harmless, the Slack message and the e-mail (fixed Message-ID) are sent twice (docs/OPERATIONS.md).
/// </summary>
public abstract class LeadSinkGrain(Stage stage, IPersistentState<SinkState> state, TimeProvider time, ILogger logger) : LeadStageGrain(stage)
{
    protected override string? Precondition(Lead lead) =>
        string.IsNullOrWhiteSpace(lead.Message) ? "it carries no approved message" : null;

    protected override async Task HandleAsync(Lead lead)
    {
        if (state.State.DeliveredAt is { } at)
        {
            logger.LogInformation("{Sink}: lead {Lead} was delivered at {At} ({Receipt}); the redelivery sends nothing", Stage.Name, lead.LeadId, at, state.State.Receipt);
            return;
        }
        _acceptedAt = null;
        var receipt = await DeliverAsync(lead);
        var accepted = _acceptedAt ?? time.GetTimestamp();
        state.State.DeliveredAt = time.GetUtcNow();
        state.State.Receipt = receipt;
        await state.WriteOrDropAsync(this);
        SinkMetrics.Unrecorded(Stage.Name, time.GetElapsedTime(accepted));
    }

    private long? _acceptedAt;

    /// <summary>
    /// For a sink with work after its channel accepted (SMTP's QUIT): marks the moment of acceptance, where the window
    /// a crash resends in begins. Without it, the window begins when <see cref="DeliverAsync"/> returns.
    /// </summary>
    protected void Accepted() => _acceptedAt = time.GetTimestamp();

    /// <summary>Sends to the channel; returns where it went. Throws when the channel refused (Kafka delivers the event again).</summary>
    protected abstract Task<string> DeliverAsync(Lead lead);

    protected async Task<string> ToOutboxAsync(Lead lead, string channel, string to, string subject, string body)
    {
        await GrainFactory.GetGrain<IOutboxGrain>(0).Add(new OutboxMessage(channel, lead.LeadId, lead.TenantId, to, subject, body, time.GetUtcNow()));
        return "outbox";
    }
}
