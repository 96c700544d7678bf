using Streaming.Kafka.Events;

namespace Grains.Pipeline;

public interface ITierRouterStageGrain : IGrainWithStringKey;

/// <summary>
/// <c>user.messages.cleaned</c> → <c>agent.requests.{tier}</c>, by the tier the tenant pays for (not the
/// event's claim); a paused tenant's turns are parked by its <see cref="Control.ITenantGateGrain"/> instead.
/// </summary>
[ImplicitStreamSubscription(Topics.UserMessagesCleaned)]
public sealed class TierRouterStageGrain() : StageGrain(Stage.TierRouter), ITierRouterStageGrain
{
    protected override string? Precondition(CloudEvent e, ChatTurn turn) => TurnChecks.PassedInput(turn);

    protected override async Task HandleAsync(CloudEvent e, ChatTurn turn)
    {
        var tier = (await TenantAsync(turn)).Tier;
        if (!await GrainFactory.GetGrain<Control.ITenantGateGrain>(turn.TenantId).Admit(turn with { Tier = tier })) return;
        // Fair use per client, then the tenant's rate limits and quotas: over a limit, the customer is told when to try again.
        var quota = await GrainFactory.GetGrain<Scheduling.ITenantQuotaGrain>(turn.TenantId).Admit(turn.TurnId, Scheduling.QuotaOptions.EstimateTokens(turn.Text), turn.Clients);
        if (!quota.Allowed)
        {
            await PublishAsync(Topics.AgentResponsesThrottled, turn with
            {
                Tier = tier,
                Verdict = new Verdict(Stage.Name, VerdictDecision.Block, quota.Rule!, $"over the tenant's limit ({quota.Rule})", quota.CustomerMessage!),
            }, ChatEventTypes.ResponseThrottled, "throttled");
            return;
        }
        await PublishAsync(Topics.AgentRequestsFor(tier), turn with { Tier = tier }, ChatEventTypes.AgentRequested, "request");
    }
}
