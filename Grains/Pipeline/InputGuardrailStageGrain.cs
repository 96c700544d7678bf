using Grains.Guardrails;
using Streaming.Kafka.Events;

namespace Grains.Pipeline;

public interface IInputGuardrailStageGrain : IGrainWithStringKey;

/// <summary><c>user.messages.raw</c> → <c>user.messages.cleaned</c>, or <c>user.messages.rejected</c> with the verdict.</summary>
[ImplicitStreamSubscription(Topics.UserMessagesRaw)]
public sealed class InputGuardrailStageGrain() : StageGrain(Stage.InputGuardrail), IInputGuardrailStageGrain
{
    private static readonly GuardrailChain Chain = GuardrailChain.Input();

    protected override async Task HandleAsync(CloudEvent e, ChatTurn turn)
    {
        var verdict = Chain.Evaluate(await TenantAsync(turn), turn.Text);
        var judged = turn with { Verdict = verdict };
        if (verdict.Decision == VerdictDecision.Allow)
            await PublishAsync(Topics.UserMessagesCleaned, judged, ChatEventTypes.MessageCleaned, "cleaned");
        else
            await PublishAsync(Topics.UserMessagesRejected, judged, ChatEventTypes.MessageRejected, "rejected");
    }
}
