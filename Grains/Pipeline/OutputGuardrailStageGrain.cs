using Grains.Guardrails;
using Streaming.Kafka.Events;

namespace Grains.Pipeline;

public interface IOutputGuardrailStageGrain : IGrainWithStringKey;

/// <summary>
/// <c>agent.responses.raw</c> → <c>agent.responses.final</c>, or <c>agent.responses.flagged</c> with
/// the tenant's fallback answer in place of the model's (kept in the event for review).
/// </summary>
[ImplicitStreamSubscription(Topics.AgentResponsesRaw)]
public sealed class OutputGuardrailStageGrain() : StageGrain(Stage.OutputGuardrail), IOutputGuardrailStageGrain
{
    private static readonly GuardrailChain Chain = GuardrailChain.Output();

    protected override async Task HandleAsync(CloudEvent e, ChatTurn turn)
    {
        var verdict = Chain.Evaluate(await TenantAsync(turn), turn.Answer ?? "");
        var judged = turn with { Verdict = verdict };
        if (verdict.Decision == VerdictDecision.Allow)
            await PublishAsync(Topics.AgentResponsesFinal, judged, ChatEventTypes.ResponseFinal, "final");
        else
            await PublishAsync(Topics.AgentResponsesFlagged, judged, ChatEventTypes.ResponseFlagged, "flagged");
    }
}
