using System.Text.Json;
using Grains.Guardrails;
using Grains.Pipeline;
using Grains.Tenants;
using Orleans.Runtime;
using Orleans.Streams;
using Streaming.Kafka.Events;

namespace Grains.Marketing;

/// <summary>
/// A step of the marketing assistant for one lead (keyed by lead id, the Kafka message key): it handles only leads
/// within the form's limits that passed the steps before it, and turns one event into the next.
/// </summary>
public abstract class LeadStageGrain(Stage stage) : EventStageGrain(stage)
{
    protected override async Task ProcessAsync(StreamId from, CloudEvent e, StreamSequenceToken? token)
    {
        Lead lead;
        try
        {
            lead = LeadEvents.Lead(e);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException)
        {
            await RefuseAsync(from, e, token, $"not a lead: {ex.Message}");
            return;
        }
        if ((LeadChecks.Shape(lead, Key) ?? Precondition(lead)) is { } problem)
        {
            await RefuseAsync(from, e, token, problem);
            return;
        }
        if (lead.TraceId is null) lead = lead with { TraceId = ChatEvents.TraceIdOf(e.TraceParent) ?? Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) };
        try
        {
            await HandleAsync(lead);
        }
        catch (UnusableEventException ex)
        {
            await RefuseAsync(from, e, token, ex.Message);
        }
    }

    /// <summary>What this step requires of a lead beyond its shape (what the steps before it added); null when it may go on.</summary>
    protected virtual string? Precondition(Lead lead) => null;

    protected abstract Task HandleAsync(Lead lead);

    protected Task PublishAsync(string topic, Lead lead, string type, string step) =>
        PublishAsync(topic, LeadEvents.For(lead, type, step, "/marketing/" + Stage.Name));

    /// <summary>Every guardrail evaluation of a lead goes to <c>guardrail.verdicts</c>, as the chat's do.</summary>
    protected Task PublishVerdictsAsync(Lead lead, GuardrailOutcome outcome) =>
        PublishAsync(Pipeline.Topics.GuardrailVerdicts, GuardrailEvaluation.Event(Stage.Name, lead.LeadId, lead.TenantId, lead.LeadId, lead.Tier,
            ChatEvents.TraceParentIn(lead.TraceId), outcome));

    /// <summary>The lead's tenant; an unknown tenant makes the event unusable (dead-lettered naming the tenant).</summary>
    protected async Task<TenantProfile> TenantAsync(Lead lead) =>
        await GrainFactory.GetGrain<ITenantGrain>(lead.TenantId).GetProfile()
        ?? throw new UnusableEventException($"tenant '{lead.TenantId}' of lead {lead.LeadId} is not known to the platform");
}
