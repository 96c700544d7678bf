using Grains.Models;
using Grains.Scheduling;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Streaming.Kafka.Events;

namespace Grains.Pipeline;

public interface IModelStageGrain : IGrainWithStringKey;

/// <summary>
/// <c>agent.requests.{tier}</c> → <c>agent.responses.raw</c>, through this silo's
/// <see cref="ModelScheduler"/>: the request waits for a slot by tier priority; under overload the
/// customer may first get a busy notice (<c>agent.response.delayed</c>) or, on the free tier, a
/// polite refusal (<c>agent.response.shed</c>), both on <c>agent.responses.throttled</c>. A backend
/// error or timeout fails over to the tier's next backend; when none is left the turn becomes an
/// <c>agent.responses.failed</c> event with a clear message. The Kafka offset is not committed while
/// the request waits, so a silo that dies with a full queue loses none of it.
/// </summary>
[ImplicitStreamSubscription(Topics.AgentRequestsFree)]
[ImplicitStreamSubscription(Topics.AgentRequestsPro)]
[ImplicitStreamSubscription(Topics.AgentRequestsEnterprise)]
public sealed class ModelStageGrain(
    ModelScheduler scheduler,
    ModelBackends backends,
    IOptions<ModelOptions> options,
    [FromKeyedServices(PlatformClock.Key)] TimeProvider clock,
    ILogger<ModelStageGrain> logger)
    : StageGrain(Stage.Model), IModelStageGrain
{
    public const string UnavailableMessage = "Sorry — our assistant can't answer right now. Please try again in a moment.";
    public const string BusyMessage = "We're very busy right now — your answer will follow shortly. Thanks for your patience!";
    public const string ShedMessage = "Sorry — our assistant is very busy right now and can't take your question. Please try again in a few minutes.";

    protected override string? Precondition(CloudEvent e, ChatTurn turn) => TurnChecks.PassedInput(turn);

    protected override async Task HandleAsync(CloudEvent e, ChatTurn turn)
    {
        var tenant = await TenantAsync(turn);
        var estimate = QuotaOptions.EstimateTokens(turn.Text);
        var tried = new HashSet<string>(StringComparer.Ordinal);
        var busy = false;
        var reason = "no model backend configured for this tier";
        var queued = TimeSpan.Zero;
        var modelMs = 0.0;
        var arrived = clock.GetUtcNow();
        var slotDeadline = arrived + MaxSlotWait;
        while (true)
        {
            var ticket = scheduler.Enqueue(new ModelRequest(turn.TurnId, turn.TenantId, SchedulerOptions.ClassOf(turn.Tier), estimate) { Exclude = tried });
            if (!busy && await BusyBeforeAdmittedAsync(ticket, slotDeadline))
            {
                busy = true;
                await PublishAsync(Topics.AgentResponsesThrottled, Notice(turn, "scheduler.busy", "queue wait above target", BusyMessage), ChatEventTypes.ResponseDelayed, "delayed");
            }
            if (await AdmittedByAsync(ticket, slotDeadline) is not { } admission)
            {
                reason = $"no model slot within {MaxSlotWait.TotalSeconds:0} s";
                logger.LogWarning("Turn {Turn} of tenant {Tenant}: {Reason}; the customer gets the failure answer (scheduler: {Snapshot})",
                    turn.TurnId, turn.TenantId, reason, string.Join("; ", scheduler.Snapshot().Backends));
                queued = clock.GetUtcNow() - arrived;
                break;
            }
            queued += admission.QueueWait;
            if (admission.Lease is not { } lease)
            {
                if (tried.Count > 0) break; // every backend of the tier failed this request
                await PublishAsync(Topics.AgentResponsesThrottled, Notice(turn, "scheduler.shed", admission.ShedReason!, ShedMessage) with
                {
                    QueueMilliseconds = queued.TotalMilliseconds,
                }, ChatEventTypes.ResponseShed, "shed");
                return;
            }

            var started = clock.GetUtcNow();
            using var timeout = new CancellationTokenSource(options.Value.Timeout);
            try
            {
                var response = await backends.Client(lease.Backend).GetResponseAsync(PromptBuilder.For(tenant, turn.Text), cancellationToken: timeout.Token);
                // An empty answer is no answer: the backend failed this request, like an error.
                if (string.IsNullOrWhiteSpace(response.Text)) throw new InvalidDataException("the model returned an empty answer");
                var tokens = (int?)response.Usage?.TotalTokenCount ?? estimate;
                lease.Complete(success: true, tokens);
                GrainFactory.GetGrain<ITenantQuotaGrain>(turn.TenantId).RecordTokens(tokens).Ignore();
                await PublishAsync(Topics.AgentResponsesRaw, turn with
                {
                    Answer = Conversations.ConversationLimits.Cut(response.Text),
                    ModelName = response.ModelId ?? backends.DisplayName(lease.Backend),
                    ModelMilliseconds = (clock.GetUtcNow() - started).TotalMilliseconds,
                    QueueMilliseconds = queued.TotalMilliseconds,
                    Backend = lease.Backend,
                    Degraded = lease.Fallback,
                    BusyNotified = busy,
                }, ChatEventTypes.ResponseRaw, "response");
                return;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                reason = $"model timed out after {options.Value.Timeout.TotalSeconds:0.#} s on backend {lease.Backend}";
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                reason = $"model error on backend {lease.Backend}: {ex.GetType().Name}: {ex.Message}";
            }
            modelMs += (clock.GetUtcNow() - started).TotalMilliseconds;
            lease.Complete(success: false, 0);
            tried.Add(lease.Backend);
            logger.LogWarning("Turn {Turn} of tenant {Tenant}: {Reason}; trying the tier's next backend if any", turn.TurnId, turn.TenantId, reason);
        }

        var failed = turn with
        {
            Answer = UnavailableMessage,
            ModelName = options.Value.DisplayName,
            ModelMilliseconds = modelMs,
            QueueMilliseconds = queued.TotalMilliseconds,
            BusyNotified = busy,
            Verdict = new Verdict(Stage.Name, VerdictDecision.Block, "model.unavailable", reason, UnavailableMessage),
        };
        await PublishAsync(Topics.AgentResponsesFailed, failed, ChatEventTypes.ResponseFailed, "failed");
    }

    /// <summary>
    /// The longest a turn waits for model slots, over all its tries. A stream delivery that runs past the silo's
    /// response timeout (3 min, <see cref="Hosting.PlatformHosting"/>) is retried and then dead-lettered, which would
    /// lose the turn for its customer; well before that the customer gets the failure answer instead.
    /// </summary>
    public static readonly TimeSpan MaxSlotWait = TimeSpan.FromSeconds(90);

    private async Task<bool> BusyBeforeAdmittedAsync(SchedulerTicket ticket, DateTimeOffset deadline)
    {
        using var stop = new CancellationTokenSource();
        var late = Task.Delay(Remaining(deadline), clock, stop.Token);
        var first = await Task.WhenAny(ticket.Admitted, ticket.Busy, late);
        await stop.CancelAsync();
        return first == ticket.Busy;
    }

    /// <summary>The admission, or null when none came by the deadline (the request is then taken out of the queue).</summary>
    private async Task<Admission?> AdmittedByAsync(SchedulerTicket ticket, DateTimeOffset deadline)
    {
        try
        {
            return await ticket.Admitted.WaitAsync(Remaining(deadline), clock);
        }
        catch (TimeoutException)
        {
            // Admitted meanwhile: take it (the lease must be used or completed), else it is out of the queue.
            return scheduler.Cancel(ticket) ? null : await ticket.Admitted;
        }
    }

    private TimeSpan Remaining(DateTimeOffset deadline) => deadline - clock.GetUtcNow() is { Ticks: > 0 } left ? left : TimeSpan.Zero;

    private ChatTurn Notice(ChatTurn turn, string rule, string reason, string message) =>
        turn with { Verdict = new Verdict(Stage.Name, VerdictDecision.Flag, rule, reason, message) };
}
