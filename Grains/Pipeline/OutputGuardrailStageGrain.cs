using Grains.Guardrails;
using Streaming.Kafka.Events;

namespace Grains.Pipeline;

public interface IOutputGuardrailStageGrain : IGrainWithStringKey;

/// <summary>
/// <c>agent.responses.raw</c> → <c>agent.responses.final</c>, or <c>agent.responses.flagged</c>
/// with the customer message of the deciding verdict (the brand fallback, or a holding message for
/// discounts and finance/legal advice) in place of the model's answer, which the event keeps.
/// </summary>
[ImplicitStreamSubscription(Topics.AgentResponsesRaw)]
public sealed class OutputGuardrailStageGrain(ModelJudge judge) : StageGrain(Stage.OutputGuardrail), IOutputGuardrailStageGrain
{
    private static readonly GuardrailChain Chain = GuardrailChain.Output();

    protected override async Task HandleAsync(CloudEvent e, ChatTurn turn)
    {
        var tenant = await TenantAsync(turn);
        var outcome = Chain.Run(tenant, turn.Answer ?? "");
        // The optional LLM judge is asked only when the fast detectors let the text through.
        if (outcome.Decision.Decision is VerdictDecision.Allow or VerdictDecision.Rewrite &&
            await judge.JudgeAsync(tenant, Stage.Name, "Agent", outcome.Text) is { } judgeVerdict)
            outcome = outcome with { Decision = judgeVerdict, Verdicts = [.. outcome.Verdicts, judgeVerdict] };
        await PublishVerdictsAsync(turn, outcome);
        var judged = turn with { Verdict = outcome.Decision };
        if (outcome.Decision.Decision is VerdictDecision.Allow or VerdictDecision.Rewrite)
            await PublishAsync(Topics.AgentResponsesFinal, judged with { Answer = outcome.Text }, ChatEventTypes.ResponseFinal, "final");
        else
            await PublishAsync(Topics.AgentResponsesFlagged, judged, ChatEventTypes.ResponseFlagged, "flagged");
    }
}
