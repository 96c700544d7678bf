using System.Diagnostics;
using Grains.Models;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Streaming.Kafka.Events;

namespace Grains.Pipeline;

public interface IModelStageGrain : IGrainWithStringKey;

/// <summary>
/// <c>agent.requests.{tier}</c> → <c>agent.responses.raw</c>. A model error or timeout becomes an
/// <c>agent.responses.failed</c> event carrying a clear message for the customer.
/// </summary>
[ImplicitStreamSubscription(Topics.AgentRequestsFree)]
[ImplicitStreamSubscription(Topics.AgentRequestsPro)]
[ImplicitStreamSubscription(Topics.AgentRequestsEnterprise)]
public sealed class ModelStageGrain(IChatClient model, IOptions<ModelOptions> options, ILogger<ModelStageGrain> logger)
    : StageGrain(Stage.Model), IModelStageGrain
{
    public const string UnavailableMessage = "Sorry — our assistant can't answer right now. Please try again in a moment.";

    protected override async Task HandleAsync(CloudEvent e, ChatTurn turn)
    {
        var tenant = await TenantAsync(turn);
        var clock = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(options.Value.Timeout);
        string reason;
        try
        {
            var response = await model.GetResponseAsync(PromptBuilder.For(tenant, turn.Text), cancellationToken: timeout.Token);
            var answered = turn with { Answer = response.Text, ModelName = response.ModelId ?? options.Value.DisplayName, ModelMilliseconds = clock.Elapsed.TotalMilliseconds };
            await PublishAsync(Topics.AgentResponsesRaw, answered, ChatEventTypes.ResponseRaw, "response");
            return;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            reason = $"model timed out after {options.Value.Timeout.TotalSeconds:0.#} s";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            reason = $"model error: {ex.GetType().Name}: {ex.Message}";
        }
        logger.LogWarning("Turn {Turn} of tenant {Tenant}: {Reason}", turn.TurnId, turn.TenantId, reason);
        var failed = turn with
        {
            Answer = UnavailableMessage,
            ModelName = options.Value.DisplayName,
            ModelMilliseconds = clock.Elapsed.TotalMilliseconds,
            Verdict = new Verdict(Stage.Name, VerdictDecision.Block, "model.unavailable", reason, UnavailableMessage),
        };
        await PublishAsync(Topics.AgentResponsesFailed, failed, ChatEventTypes.ResponseFailed, "failed");
    }
}
