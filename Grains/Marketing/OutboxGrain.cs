using Grains.Hosting;

namespace Grains.Marketing;

/// <summary>One message step 10 delivered to the built-in outbox (the embedded default's stand-in for Slack, SMTP and the CRM).</summary>
[GenerateSerializer, Immutable]
public sealed record OutboxMessage(
    [property: Id(0)] string Channel,
    [property: Id(1)] string LeadId,
    [property: Id(2)] string TenantId,
    [property: Id(3)] string To,
    [property: Id(4)] string Subject,
    [property: Id(5)] string Body,
    [property: Id(6)] DateTimeOffset At);

public interface IOutboxGrain : IGrainWithIntegerKey
{
    /// <summary>Keeps the message once per channel and lead (a second delivery of the same is not kept again).</summary>
    [ResponseTimeout(CallTimeouts.Call)] [Alias("add")] Task Add(OutboxMessage message);

    /// <summary>The newest messages first.</summary>
    [ResponseTimeout(CallTimeouts.Call)] [Alias("list"), Orleans.Concurrency.ReadOnly] Task<IReadOnlyList<OutboxMessage>> List(int max = 200);
}

/// <summary>The outbox: what the sinks would have sent, kept so a person can read it in the portal (the last 1,000).</summary>
public sealed class OutboxGrain([PersistentState("outbox", GrainStores.Conversations)] IPersistentState<OutboxState> state) : Grain, IOutboxGrain
{
    public const int Capacity = 1000;

    public async Task Add(OutboxMessage message)
    {
        if (RecentList.Add(state.State.Messages, message, m => m.Channel == message.Channel && m.LeadId == message.LeadId, Capacity))
            await state.WriteOrDropAsync(this);
    }

    public Task<IReadOnlyList<OutboxMessage>> List(int max = 200) => Task.FromResult(RecentList.Newest(state.State.Messages, max, Capacity));
}

[GenerateSerializer]
public sealed class OutboxState
{
    [Id(0)] public List<OutboxMessage> Messages { get; set; } = [];
}
