using Grains.Tenants;
using Orleans.Runtime;
using Orleans.Streams;
using Streaming.Kafka.Events;

namespace Grains.Pipeline;

/// <summary>
/// A pipeline stage for one conversation (keyed by session id, like the Kafka message key), fed by
/// its stage's stream provider through implicit subscriptions. Subclasses transform one event into
/// the next. Events already handled by this activation are skipped; downstream de-duplication
/// (by turn, in the conversation) covers redeliveries that reach a fresh activation.
/// </summary>
public abstract class StageGrain(Stage stage) : Grain
{
    private readonly HashSet<string> _handled = [];
    private readonly Queue<string> _handledOrder = new();

    protected string SessionId => this.GetPrimaryKeyString();

    protected Stage Stage => stage;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var provider = this.GetStreamProvider(stage.Name);
        foreach (var topic in stage.Topics)
            await provider.GetStream<CloudEvent>(StreamId.Create(topic, SessionId)).SubscribeAsync(OnEventAsync);
    }

    private async Task OnEventAsync(CloudEvent e, StreamSequenceToken? token)
    {
        if (!_handled.Add(e.Id)) return;
        _handledOrder.Enqueue(e.Id);
        if (_handledOrder.Count > 512) _handled.Remove(_handledOrder.Dequeue());
        await HandleAsync(e, ChatEvents.Turn(e));
    }

    protected abstract Task HandleAsync(CloudEvent e, ChatTurn turn);

    protected Task PublishAsync(string topic, ChatTurn turn, string type, string step) =>
        this.GetStreamProvider(stage.Name)
            .GetStream<CloudEvent>(StreamId.Create(topic, SessionId))
            .OnNextAsync(ChatEvents.For(turn, type, step, "/stages/" + stage.Name));

    protected async Task<TenantProfile> TenantAsync(ChatTurn turn) =>
        await GrainFactory.GetGrain<ITenantGrain>(turn.TenantId).GetProfile()
        ?? throw new InvalidOperationException($"Tenant '{turn.TenantId}' of turn {turn.TurnId} is unknown.");
}
