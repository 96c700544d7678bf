using Grains.Guardrails;
using Microsoft.Extensions.DependencyInjection;
using Streaming.Kafka.Events;

namespace Grains.Pipeline;

public interface IInputGuardrailStageGrain : IGrainWithStringKey;

/// <summary>
/// <c>user.messages.raw</c> → <c>user.messages.cleaned</c> (possibly redacted), or
/// <c>user.messages.rejected</c> with the deciding verdict. Every evaluation also goes to
/// <c>guardrail.verdicts</c>. A hold (toxicity review, self-harm) waits in the team queue its rule
/// names; the customer is told a person is looking at it.
/// </summary>
[ImplicitStreamSubscription(Topics.UserMessagesRaw)]
public sealed class InputGuardrailStageGrain(
    GuardrailChains chains,
    ModelJudge judge,
    [FromKeyedServices(Scheduling.PlatformClock.Key)] TimeProvider clock) : StageGrain(Stage.InputGuardrail), IInputGuardrailStageGrain
{
    protected override async Task HandleAsync(CloudEvent e, ChatTurn turn)
    {
        // The platform's receipt: what latency is measured from, whatever the producer claims in submittedAt.
        turn = turn with { ReceivedAt = clock.GetUtcNow() };
        var tenant = await TenantAsync(turn);
        var outcome = await chains.Input.RunAsync(tenant, turn.Text);
        // The optional LLM judge is asked only when the fast detectors let the text through.
        if (outcome.Decision.Decision is VerdictDecision.Allow or VerdictDecision.Rewrite &&
            await judge.JudgeAsync(tenant, Stage.Name, "User", outcome.Text) is { } judgeVerdict)
            outcome = outcome with { Decision = judgeVerdict, Verdicts = [.. outcome.Verdicts, judgeVerdict] };
        await PublishVerdictsAsync(turn, outcome);
        var judged = turn with { Verdict = outcome.Decision, Text = outcome.Text, Concerns = outcome.Concerns };
        if (outcome.Decision.Decision is VerdictDecision.Allow or VerdictDecision.Rewrite)
            await PublishAsync(Topics.UserMessagesCleaned, judged, ChatEventTypes.MessageCleaned, "cleaned");
        else if (outcome.Decision.Decision == VerdictDecision.Hold)
            await PublishAsync(Approvals.Teams.TopicForRule(outcome.Decision.Rule), judged, ChatEventTypes.ResponseHeld, "held");
        else
            await PublishAsync(Topics.UserMessagesRejected, judged, ChatEventTypes.MessageRejected, "rejected");
    }
}
