using Grains.Hosting;
using Grains.Pipeline;
using Grains.Tenants;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Streaming.Kafka.Events;

namespace Grains.Marketing;

/// <summary>The lead form as a person filled it in.</summary>
[GenerateSerializer, Immutable]
public sealed record LeadForm(
    [property: Id(0)] string TenantId,
    [property: Id(1)] string? Name,
    [property: Id(2)] string? Email,
    [property: Id(3)] string? Company,
    [property: Id(4)] string? Interest);

/// <summary>Accepted (on Kafka), or why not, field by field.</summary>
[GenerateSerializer, Immutable]
public sealed record LeadSubmission(
    [property: Id(0)] bool Accepted,
    [property: Id(1)] string LeadId,
    [property: Id(2)] IReadOnlyList<LeadFieldError> Errors)
{
    public static LeadSubmission Refused(string leadId, params LeadFieldError[] errors) => new(false, leadId, errors);
}

[GenerateSerializer, Immutable]
public sealed record LeadFieldError([property: Id(0)] string Field, [property: Id(1)] string Message);

/// <summary>A step that cannot take the lead on yet and why (an outside API down); the step tries again.</summary>
[GenerateSerializer, Immutable]
public sealed record LeadWait(
    [property: Id(0)] string Stage,
    [property: Id(1)] string Reason,
    [property: Id(2)] DateTimeOffset Since,
    [property: Id(3)] DateTimeOffset LastTried,
    [property: Id(4)] int Attempts);

public interface ILeadGrain : IGrainWithStringKey
{
    /// <summary>
    /// Step 1: checks the form and puts the lead on <c>lead.new</c> (acks=all) once; submitting the same lead again
    /// (a double click, a retry after a timeout) changes nothing and answers the same.
    /// </summary>
    [ResponseTimeout(CallTimeouts.Call)] [Alias("submit")] Task<LeadSubmission> Submit(LeadForm form);

    /// <summary>
    /// A step says it holds the lead back (it will be redelivered) and why, for the lead board; the next note of another
    /// step, or <see cref="ClearWait"/>, replaces it. Kept in memory: each retry notes it again.
    /// </summary>
    [Alias("note-wait")] Task NoteWait(string stage, string reason);

    [Alias("clear-wait")] Task ClearWait(string stage);

    [Alias("get-wait")] Task<LeadWait?> GetWait();
}

/// <summary>One lead (keyed by its id, also its Kafka key): the way in to the marketing assistant.</summary>
public sealed class LeadGrain(
    [PersistentState("lead", GrainStores.Conversations)] IPersistentState<LeadState> state,
    TimeProvider time,
    ILogger<LeadGrain> logger) : Grain, ILeadGrain
{
    private string LeadId => this.GetPrimaryKeyString();

    private LeadWait? _wait;

    public Task NoteWait(string stage, string reason)
    {
        var now = time.GetUtcNow();
        _wait = _wait is { } w && w.Stage == stage ? w with { Reason = reason, LastTried = now, Attempts = w.Attempts + 1 } : new LeadWait(stage, reason, now, now, 1);
        return Task.CompletedTask;
    }

    public Task ClearWait(string stage)
    {
        if (_wait?.Stage == stage) _wait = null;
        return Task.CompletedTask;
    }

    public Task<LeadWait?> GetWait() => Task.FromResult(_wait);

    public async Task<LeadSubmission> Submit(LeadForm form)
    {
        if (state.State.Lead is { } submitted)
        {
            if (submitted.TenantId != form.TenantId) return LeadSubmission.Refused(LeadId, new LeadFieldError("form", "This lead was submitted to another business."));
            await GrainFactory.GetGrain<ILeadDirectoryGrain>(0).Add(new LeadListing(LeadId, submitted.TenantId, submitted.Name, submitted.SubmittedAt)); // idempotent
            return new LeadSubmission(true, LeadId, []);
        }
        if (LeadChecks.Form(form.Name, form.Email, form.Company, form.Interest) is { Count: > 0 } problems)
            return new LeadSubmission(false, LeadId, problems.Select(p => new LeadFieldError(p.Field, p.Message)).ToList());
        var tenant = await GrainFactory.GetGrain<ITenantGrain>(form.TenantId).GetProfile();
        if (tenant is null) return LeadSubmission.Refused(LeadId, new LeadFieldError("form", $"There is no business '{form.TenantId}' here."));

        var lead = new Lead
        {
            LeadId = LeadId, TenantId = tenant.TenantId, Tier = tenant.Tier,
            Name = form.Name!.Trim(), Email = form.Email!.Trim(), Company = string.IsNullOrWhiteSpace(form.Company) ? null : form.Company.Trim(),
            Interest = form.Interest!.Trim(), SubmittedAt = time.GetUtcNow(),
            TraceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()),
        };
        try
        {
            // Accepted = on Kafka (acks=all); only then is it remembered as submitted.
            await this.GetStreamProvider(LeadStages.Validator.Name)
                .GetStream<CloudEvent>(StreamId.Create(LeadTopics.New, LeadId))
                .OnNextAsync(LeadEvents.For(lead, LeadEventTypes.Submitted, "new", "/portal/leads"));
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not accept lead {Lead} of tenant {Tenant}", LeadId, tenant.TenantId);
            return LeadSubmission.Refused(LeadId, new LeadFieldError("form", "We couldn't take your request just now. Nothing was sent — please try again."));
        }
        state.State.Lead = lead;
        await state.WriteOrDropAsync(this);
        await GrainFactory.GetGrain<ILeadDirectoryGrain>(0).Add(new LeadListing(LeadId, lead.TenantId, lead.Name, lead.SubmittedAt));
        return new LeadSubmission(true, LeadId, []);
    }
}

[GenerateSerializer]
public sealed class LeadState
{
    [Id(0)] public Lead? Lead { get; set; }
}
