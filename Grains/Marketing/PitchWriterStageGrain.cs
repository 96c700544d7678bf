using Grains.Models;
using Grains.Pipeline;
using Grains.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grains.Marketing;

public interface IPitchWriterStageGrain : IGrainWithStringKey;

/// <summary>
/// Step 3: <c>lead.cleaned</c> → <c>pitch.generated</c>. The pitch comes from the same model backends and tier scheduler
/// as the chat, as background work: it yields to every customer waiting for an answer. A lead that gets no model slot
/// or whose every backend fails is not lost: the step fails and Kafka delivers the lead again (after backoff), so it
/// waits where it is, visible in the stage's lag, until a model answers.
/// </summary>
[ImplicitStreamSubscription(LeadTopics.Cleaned)]
public sealed class PitchWriterStageGrain(
    ModelScheduler scheduler,
    ModelBackends backends,
    IOptions<ModelOptions> options,
    [FromKeyedServices(PlatformClock.Key)] TimeProvider clock,
    ILogger<PitchWriterStageGrain> logger) : LeadStageGrain(LeadStages.PitchWriter), IPitchWriterStageGrain
{
    /// <summary>Well inside a stream delivery's time, so a lead that cannot be written now is redelivered, not dead-lettered.</summary>
    public static readonly TimeSpan MaxSlotWait = TimeSpan.FromSeconds(90);

    protected override string? Precondition(Lead lead) => lead.Verdict switch
    {
        { Stage: var s, Decision: not (VerdictDecision.Block or VerdictDecision.Flag) } when s == LeadStages.Validator.Name => null,
        _ => "it carries no allowing verdict of the lead validator: leads enter on lead.new",
    };

    protected override async Task HandleAsync(Lead lead)
    {
        var tenant = await TenantAsync(lead);
        var prompt = PromptBuilder.ForPitch(tenant, lead.Name, lead.Company, lead.Interest);
        var estimate = QuotaOptions.EstimateTokens(lead.Interest) * 4;
        var tried = new HashSet<string>(StringComparer.Ordinal);
        var deadline = clock.GetUtcNow() + MaxSlotWait;
        while (true)
        {
            var ticket = scheduler.Enqueue(new ModelRequest(lead.LeadId, lead.TenantId, WorkClass.Background, estimate) { Exclude = tried });
            var admission = await AdmittedByAsync(ticket, deadline)
                            ?? throw new TimeoutException($"no model slot for lead {lead.LeadId} within {MaxSlotWait.TotalSeconds:0} s; it waits for redelivery");
            if (admission.Lease is not { } lease)
                throw new InvalidOperationException(tried.Count > 0
                    ? $"every model backend failed lead {lead.LeadId}; it waits for redelivery"
                    : $"the scheduler shed lead {lead.LeadId} ({admission.ShedReason}); it waits for redelivery");
            var started = clock.GetUtcNow();
            Microsoft.Extensions.AI.ChatResponse response;
            using (var timeout = new CancellationTokenSource(options.Value.Timeout))
            {
                try
                {
                    response = await backends.Client(lease.Backend).GetResponseAsync(prompt, cancellationToken: timeout.Token);
                    if (string.IsNullOrWhiteSpace(response.Text)) throw new InvalidDataException("the model returned an empty pitch");
                }
                catch (Exception ex)
                {
                    lease.Complete(success: false, 0);
                    tried.Add(lease.Backend);
                    logger.LogWarning(ex, "Lead {Lead} of tenant {Tenant}: backend {Backend} failed; trying the next one if any", lead.LeadId, lead.TenantId, lease.Backend);
                    continue;
                }
            }
            lease.Complete(success: true, (int?)response.Usage?.TotalTokenCount ?? estimate);
            var pitch = response.Text.Length <= LeadChecks.MaxPitch ? response.Text : response.Text[..LeadChecks.MaxPitch];
            await PublishAsync(LeadTopics.PitchGenerated, lead with
            {
                Pitch = pitch,
                ModelName = response.ModelId ?? backends.DisplayName(lease.Backend),
                ModelMilliseconds = (clock.GetUtcNow() - started).TotalMilliseconds,
            }, LeadEventTypes.PitchGenerated, "pitch");
            return;
        }
    }

    private async Task<Admission?> AdmittedByAsync(SchedulerTicket ticket, DateTimeOffset deadline)
    {
        try
        {
            var left = deadline - clock.GetUtcNow();
            return await ticket.Admitted.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, clock);
        }
        catch (TimeoutException)
        {
            return scheduler.Cancel(ticket) ? null : await ticket.Admitted;
        }
    }
}
