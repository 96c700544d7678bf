using Orleans.Runtime;
using Orleans.Streams;
using Streaming.Kafka;
using Streaming.Kafka.Events;

namespace Grains.Pipeline;

/// <summary>
/// What every stage grain does around its own step, whatever it carries (a chat turn, a lead): one per stream key
/// (the Kafka message key), fed by its stage's stream provider through implicit subscriptions; events already handled
/// by this activation are skipped (downstream de-duplication covers redeliveries that reach a fresh activation);
/// each event is received and handled inside its trace's spans; a refused event is dead-lettered with the reason.
/// </summary>
public abstract class EventStageGrain(Stage stage) : Grain
{
    private readonly HashSet<string> _handled = [];
    private readonly Queue<string> _handledOrder = new();

    protected string Key => this.GetPrimaryKeyString();

    protected Stage Stage => stage;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var provider = this.GetStreamProvider(stage.Name);
        foreach (var topic in stage.Topics)
        {
            var stream = StreamId.Create(topic, Key);
            await provider.GetStream<CloudEvent>(stream).SubscribeAsync((e, token) => OnEventAsync(stream, e, token));
        }
    }

    private async Task OnEventAsync(StreamId from, CloudEvent e, StreamSequenceToken? token)
    {
        if (_handled.Contains(e.Id)) return;
        using (KafkaTracing.StartReceive(stage.Name, stage.TopicPrefix(ServiceProvider), from, e, token))
        using (Hosting.PlatformTracing.StartHandle(stage.Name, e.Subject))
            await ProcessAsync(from, e, token);
        // Remembered only once handled: if handling failed (a grain it called was on a dead silo,
        // Kafka refused the produce), the redelivery must run it again, not skip it as a duplicate.
        _handled.Add(e.Id);
        _handledOrder.Enqueue(e.Id);
        if (_handledOrder.Count > 512) _handled.Remove(_handledOrder.Dequeue());
    }

    /// <summary>Checks what arrived and handles it, or refuses it (<see cref="RefuseAsync"/>).</summary>
    protected abstract Task ProcessAsync(StreamId from, CloudEvent e, StreamSequenceToken? token);

    protected Task RefuseAsync(StreamId from, CloudEvent e, StreamSequenceToken? token, string reason) =>
        DeadLetters.SendAsync(ServiceProvider, stage.Name, from, e, token, $"{stage.Name}: {reason}");

    /// <summary>The one way a stage publishes: on <paramref name="topic"/>, under this grain's key, through its own provider.</summary>
    protected Task PublishAsync(string topic, CloudEvent e) =>
        this.GetStreamProvider(stage.Name).GetStream<CloudEvent>(StreamId.Create(topic, Key)).OnNextAsync(e);
}
