using Grains.Guardrails;
using Streaming.Kafka.Events;

namespace Grains.Pipeline;

public interface IOutputGuardrailStageGrain : IGrainWithStringKey;

/// <summary>
/// <c>agent.responses.raw</c> → <c>agent.responses.final</c>; or <c>agent.responses.flagged</c> with
/// the brand fallback in place of the model's answer (which the event keeps); or, for a hold, the
/// team topic its rule names (<c>discount|finance|legal.queries.pending_approval</c>, else
/// <c>agent.responses.pending_approval</c>), as for every answer of a hard-stopped scope.
/// </summary>
[ImplicitStreamSubscription(Topics.AgentResponsesRaw)]
public sealed class OutputGuardrailStageGrain(GuardrailChains chains, ModelJudge judge) : StageGrain(Stage.OutputGuardrail), IOutputGuardrailStageGrain
{
    protected override string? Precondition(CloudEvent e, ChatTurn turn) =>
        turn.Answer is null ? "it carries no answer (agent.responses.raw is written by the model stage)" : TurnChecks.PassedInput(turn);

    protected override bool ChecksAnswer => true;

    protected override async Task HandleAsync(CloudEvent e, ChatTurn turn)
    {
        var tenant = await TenantAsync(turn);
        var outcome = await chains.Output.RunAsync(tenant, turn.Answer ?? "");
        // The optional LLM judge is asked only when the fast detectors let the text through.
        if (outcome.Decision.Decision is VerdictDecision.Allow or VerdictDecision.Rewrite &&
            await judge.JudgeAsync(tenant, Stage.Name, "Agent", outcome.Text) is { } judgeVerdict)
            outcome = outcome with { Decision = judgeVerdict, Verdicts = [.. outcome.Verdicts, judgeVerdict] };
        await PublishVerdictsAsync(turn, outcome);
        var judged = turn with { Verdict = outcome.Decision, Concerns = outcome.Concerns };
        var releasable = outcome.Decision.Decision is VerdictDecision.Allow or VerdictDecision.Rewrite;
        if (releasable && Control.HoldScope.Applies(await GrainFactory.GetGrain<Control.IControlGrain>(0).GetHolds(), turn.TenantId, turn.Tier))
        {
            // Hard stop: the answer waits for a person; the customer is told someone is reviewing it.
            var held = judged with
            {
                Answer = outcome.Text,
                Verdict = new Verdict(Stage.Name, VerdictDecision.Hold, "hardstop.hold", "every answer in this scope is held for approval",
                    "A member of our team is reviewing the answer and will send it shortly.", 1.0, "hard-stop", tenant.Policy.Version),
            };
            await PublishAsync(Topics.AgentResponsesPendingApproval, held, ChatEventTypes.ResponseHeld, "held");
            return;
        }
        if (releasable)
            await PublishAsync(Topics.AgentResponsesFinal, judged with { Answer = outcome.Text }, ChatEventTypes.ResponseFinal, "final");
        else if (outcome.Decision.Decision == VerdictDecision.Hold && tenant.Policy.FlagAndReplace)
        {
            // Flag and replace: the customer gets the fallback now; the team reviews the answer, and an
            // approval arrives later in the same chat as a correction. Both events repeat on redelivery
            // with the same ids, so the customer never gets either twice.
            await PublishAsync(Topics.AgentResponsesFlagged, judged with { Verdict = judged.Verdict! with { CustomerMessage = tenant.FallbackAnswer } },
                ChatEventTypes.ResponseFlagged, "flagged");
            await PublishAsync(Approvals.Teams.TopicForRule(outcome.Decision.Rule), judged with { FallbackSent = true },
                ChatEventTypes.ResponseHeld, "held");
        }
        else if (outcome.Decision.Decision == VerdictDecision.Hold)
            // Escalation: the answer waits for the team its rule names (discount, finance, legal, review).
            await PublishAsync(Approvals.Teams.TopicForRule(outcome.Decision.Rule), judged, ChatEventTypes.ResponseHeld, "held");
        else
            await PublishAsync(Topics.AgentResponsesFlagged, judged, ChatEventTypes.ResponseFlagged, "flagged");
    }
}
