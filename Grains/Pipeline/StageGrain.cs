using System.Text.Json;
using Grains.Tenants;
using Orleans.Runtime;
using Orleans.Streams;
using Streaming.Kafka;
using Streaming.Kafka.Events;

namespace Grains.Pipeline;

/// <summary>
/// A chat pipeline stage for one conversation (keyed by session id, like the Kafka message key): it handles only chat
/// turns it can trust (the chat box's limits, the verdicts of the stages before it) and transforms one into the next.
/// </summary>
public abstract class StageGrain(Stage stage) : EventStageGrain(stage)
{
    protected string SessionId => Key;

    protected override async Task ProcessAsync(StreamId from, CloudEvent e, StreamSequenceToken? token)
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


    protected abstract Task HandleAsync(CloudEvent e, ChatTurn turn);

    protected Task PublishAsync(string topic, ChatTurn turn, string type, string step) =>
        PublishAsync(topic, ChatEvents.For(turn, type, step, "/stages/" + Stage.Name));

    /// <summary>Every guardrail evaluation, all verdicts included, on <c>guardrail.verdicts</c> (keyed by session like the rest).</summary>
    protected Task PublishVerdictsAsync(ChatTurn turn, Guardrails.GuardrailOutcome outcome) =>
        PublishAsync(Topics.GuardrailVerdicts, GuardrailEvaluation.Event(Stage.Name, turn.TurnId, turn.TenantId, turn.SessionId, turn.Tier,
            ChatEvents.TraceParentOf(turn), outcome));

    /// <summary>The turn's tenant; an unknown tenant makes the event unusable (dead-lettered naming the tenant, not retried).</summary>
    protected async Task<TenantProfile> TenantAsync(ChatTurn turn) =>
        await GrainFactory.GetGrain<ITenantGrain>(turn.TenantId).GetProfile()
        ?? throw new UnusableEventException($"tenant '{turn.TenantId}' of turn {turn.TurnId} is not known to the platform");
}

/// <summary>One guardrail evaluation as published on <c>guardrail.verdicts</c> (a chat turn's or a lead's: TurnId is the lead id).</summary>
public sealed record GuardrailEvaluation(string TurnId, string TenantId, string Stage, Verdict Decision, IReadOnlyList<Verdict> Verdicts, double Microseconds)
{
    /// <summary>The evaluation's event, keyed and attributed like the turn's (or lead's) own events.</summary>
    public static CloudEvent Event(string stage, string turnId, string tenantId, string key, Tier tier, string? traceParent, Guardrails.GuardrailOutcome outcome) =>
        CloudEvent.Create(ChatEventTypes.GuardrailEvaluated, "/stages/" + stage,
                new GuardrailEvaluation(turnId, tenantId, stage, outcome.Decision, outcome.Verdicts, outcome.Microseconds),
                id: $"{turnId}.{stage}.verdicts", subject: turnId, traceParent: traceParent)
            .WithExtension("tenantid", tenantId).WithExtension("sessionid", key)
            .WithExtension("tier", tier.ToString().ToLowerInvariant());
}
