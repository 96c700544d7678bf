using System.Text.Json;
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
        if (_handled.Contains(e.Id)) return;
        await ProcessAsync(e);
        // Remembered only once handled: if handling failed (a grain it called was on a dead silo,
        // Kafka refused the produce), the redelivery must run it again, not skip it as a duplicate.
        _handled.Add(e.Id);
        _handledOrder.Enqueue(e.Id);
        if (_handledOrder.Count > 512) _handled.Remove(_handledOrder.Dequeue());
    }

    private async Task ProcessAsync(CloudEvent e)
    {
        ChatTurn turn;
        try
        {
            turn = ChatEvents.Turn(e);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException)
        {
            // A well-formed CloudEvent whose data is not a chat turn: retrying cannot help, so park
            // it on the dead-letter topic with the reason instead of failing the delivery.
            await this.GetStreamProvider(stage.Name)
                .GetStream<CloudEvent>(StreamId.Create(Topics.DeadLetter, SessionId))
                .OnNextAsync(CloudEvent.Create("pipeline.event.invalid", "/stages/" + stage.Name,
                    new InvalidEvent(stage.Name, e.Id, e.Type, ex.Message, e.Data), id: e.Id + ".invalid"));
            return;
        }
        // Turns written by other tools may carry only a traceparent header, or no trace at all.
        if (turn.TraceId is null) turn = turn with { TraceId = TraceIdOf(e.TraceParent) ?? Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) };
        await HandleAsync(e, turn);
    }

    private static string? TraceIdOf(string? traceParent) =>
        traceParent?.Split('-') is [_, { Length: 32 } traceId, _, _] ? traceId : null;

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
                    id: $"{turn.TurnId}.{stage.Name}.verdicts", subject: turn.TurnId)
                .WithExtension("tenantid", turn.TenantId).WithExtension("sessionid", turn.SessionId)
                .WithExtension("tier", turn.Tier.ToString().ToLowerInvariant()));

    protected async Task<TenantProfile> TenantAsync(ChatTurn turn) =>
        await GrainFactory.GetGrain<ITenantGrain>(turn.TenantId).GetProfile()
        ?? throw new InvalidOperationException($"Tenant '{turn.TenantId}' of turn {turn.TurnId} is unknown.");
}

/// <summary>What a stage could not use, as written to the dead-letter topic.</summary>
public sealed record InvalidEvent(string Stage, string EventId, string EventType, string Reason, string Data);

/// <summary>One guardrail evaluation as published on <c>guardrail.verdicts</c>.</summary>
public sealed record GuardrailEvaluation(string TurnId, string TenantId, string Stage, Verdict Decision, IReadOnlyList<Verdict> Verdicts, double Microseconds);
