using System.Text.Json;
using Grains.Tenants;
using Orleans.Runtime;
using Orleans.Streams;
using Streaming.Kafka;
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
        {
            var stream = StreamId.Create(topic, SessionId);
            await provider.GetStream<CloudEvent>(stream).SubscribeAsync((e, token) => OnEventAsync(stream, e, token));
        }
    }

    private async Task OnEventAsync(StreamId from, CloudEvent e, StreamSequenceToken? token)
    {
        if (_handled.Contains(e.Id)) return;
        using (var receive = KafkaTracing.StartReceive(stage.Name, stage.TopicPrefix(ServiceProvider), from, e, token))
        using (Hosting.PlatformTracing.StartHandle(stage.Name, e.Subject))
            await ProcessAsync(from, e, token);
        // Remembered only once handled: if handling failed (a grain it called was on a dead silo,
        // Kafka refused the produce), the redelivery must run it again, not skip it as a duplicate.
        _handled.Add(e.Id);
        _handledOrder.Enqueue(e.Id);
        if (_handledOrder.Count > 512) _handled.Remove(_handledOrder.Dequeue());
    }

    private async Task ProcessAsync(StreamId from, CloudEvent e, StreamSequenceToken? token)
    {
        // Whoever wrote the event, a stage handles only what it can trust: a chat turn within the chat box's limits,
        // with the verdicts of the stages before it. Anything else is refused at once, with the reason, and never
        // retried (retrying a wrong event only holds up its partition).
        ChatTurn turn;
        try
        {
            turn = ChatEvents.Turn(e);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException)
        {
            await RefuseAsync(from, e, token, $"not a chat turn: {ex.Message}");
            return;
        }
        if ((TurnChecks.Shape(turn, SessionId, answered: ChecksAnswer) ?? Precondition(e, turn)) is { } problem)
        {
            await RefuseAsync(from, e, token, problem);
            return;
        }
        // Turns written by other tools may carry only a traceparent header, or no trace at all.
        if (turn.TraceId is null) turn = turn with { TraceId = ChatEvents.TraceIdOf(e.TraceParent) ?? Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) };
        try
        {
            await HandleAsync(e, turn);
        }
        catch (UnusableEventException ex)
        {
            await RefuseAsync(from, e, token, ex.Message);
        }
    }

    /// <summary>What this stage requires of a turn beyond its shape (e.g. the input guardrail's verdict); null when it may go on.</summary>
    protected virtual string? Precondition(CloudEvent e, ChatTurn turn) => null;

    /// <summary>Stages after the model also check the answer's length.</summary>
    protected virtual bool ChecksAnswer => false;

    private Task RefuseAsync(StreamId from, CloudEvent e, StreamSequenceToken? token, string reason) =>
        DeadLetters.SendAsync(ServiceProvider, stage.Name, from, e, token, $"{stage.Name}: {reason}");


    protected abstract Task HandleAsync(CloudEvent e, ChatTurn turn);

    protected Task PublishAsync(string topic, ChatTurn turn, string type, string step) =>
        this.GetStreamProvider(stage.Name)
            .GetStream<CloudEvent>(StreamId.Create(topic, SessionId))
            .OnNextAsync(ChatEvents.For(turn, type, step, "/stages/" + stage.Name));

    /// <summary>Every guardrail evaluation, all verdicts included, on <c>guardrail.verdicts</c> (keyed by session like the rest).</summary>
    protected Task PublishVerdictsAsync(ChatTurn turn, Guardrails.GuardrailOutcome outcome) =>
        this.GetStreamProvider(stage.Name)
            .GetStream<CloudEvent>(StreamId.Create(Topics.GuardrailVerdicts, SessionId))
            .OnNextAsync(CloudEvent.Create(ChatEventTypes.GuardrailEvaluated, "/stages/" + stage.Name,
                    new GuardrailEvaluation(turn.TurnId, turn.TenantId, stage.Name, outcome.Decision, outcome.Verdicts, outcome.Microseconds),
                    id: $"{turn.TurnId}.{stage.Name}.verdicts", subject: turn.TurnId, traceParent: ChatEvents.TraceParentOf(turn))
                .WithExtension("tenantid", turn.TenantId).WithExtension("sessionid", turn.SessionId)
                .WithExtension("tier", turn.Tier.ToString().ToLowerInvariant()));

    /// <summary>The turn's tenant; an unknown tenant makes the event unusable (dead-lettered naming the tenant, not retried).</summary>
    protected async Task<TenantProfile> TenantAsync(ChatTurn turn) =>
        await GrainFactory.GetGrain<ITenantGrain>(turn.TenantId).GetProfile()
        ?? throw new UnusableEventException($"tenant '{turn.TenantId}' of turn {turn.TurnId} is not known to the platform");
}

/// <summary>One guardrail evaluation as published on <c>guardrail.verdicts</c>.</summary>
public sealed record GuardrailEvaluation(string TurnId, string TenantId, string Stage, Verdict Decision, IReadOnlyList<Verdict> Verdicts, double Microseconds);
