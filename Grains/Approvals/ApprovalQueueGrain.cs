using Grains.Hosting;
using Grains.Analytics;
using Grains.Pipeline;
using Grains.Tenants;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Streaming.Kafka.Events;

namespace Grains.Approvals;

/// <summary>
/// One team's queue of held items (keyed by team, e.g. "review"). A decision applies exactly once:
/// the grain handles one call at a time, and the conversation applies a decided turn only once even if
/// the decision event is redelivered. Each item has SLA deadlines (by team and tier): overdue items
/// move to the lead queue, and past the final deadline the safe default is applied and recorded.
/// A reminder wakes the queue after a restart so no deadline is missed while items wait.
/// </summary>
public sealed class ApprovalQueueGrain(
    [PersistentState("queue", GrainStores.Approvals)] IPersistentState<ApprovalQueueState> state,
    [FromKeyedServices(ApprovalQueueGrain.ClockKey)] TimeProvider clock,
    TimeProvider time,
    IOptions<ApprovalSlaOptions> sla,
    ILogger<ApprovalQueueGrain> logger) : Grain, IApprovalQueueGrain, IRemindable
{
    /// <summary>The clock SLA deadlines are measured on (a fake one in tests; Orleans' own timers keep the real one).</summary>
    public const string ClockKey = Scheduling.PlatformClock.Key;
    private const string SlaReminder = "sla";

    private readonly ObserverLeases<IApprovalQueueObserver> _observers = new(time, TimeSpan.FromMinutes(2));
    private IGrainTimer? _deadlineTimer;
    private DateTimeOffset? _checkedAt;

    private string Team => this.GetPrimaryKeyString();

    private IEnumerable<ApprovalEntry> Waiting => state.State.Items.Values.Where(e => e.Outcome is null);

    public override async Task OnActivateAsync(CancellationToken cancellationToken) => await WatchDeadlinesAsync();

    public Task Subscribe(IApprovalQueueObserver observer)
    {
        _observers.Subscribe(observer);
        return Task.CompletedTask;
    }

    public Task Unsubscribe(IApprovalQueueObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public async Task Add(ApprovalItem item)
    {
        if (state.State.Items.ContainsKey(item.Turn.TurnId)) return;
        var now = clock.GetUtcNow();
        var origin = item.EscalatedFrom ?? Team;
        var rule = sla.Value.For(origin, item.Turn.Tier);
        var heldAt = item.EscalatedFrom is null ? now : item.HeldAt;
        item = item with
        {
            Team = origin,
            HeldAt = heldAt,
            EscalateAt = item.EscalatedFrom is null && rule.EscalateTo != Team ? heldAt + rule.EscalateAfter : null,
            DefaultAt = heldAt + rule.DefaultAfter,
            DefaultAction = rule.DefaultAction,
        };
        if (item.EscalatedFrom is null) await PublishAuditAsync(item, InterventionStep.Held, "guardrail", now, null, null, item.Turn.Verdict?.Reason, []);
        state.State.Items[item.Turn.TurnId] = new ApprovalEntry { Item = item };
        await state.WriteOrDropAsync(this);
        NotifyObservers();
        await WatchDeadlinesAsync();
    }

    public Task<IReadOnlyList<ApprovalItem>> Pending() => Task.FromResult<IReadOnlyList<ApprovalItem>>(
        Waiting.Select(e => e.Item).OrderBy(i => i.HeldAt).ToList());

    public Task<IReadOnlyList<ApprovalRecord>> Decided(int max = 50) => Task.FromResult<IReadOnlyList<ApprovalRecord>>(
        state.State.Items.Values.Where(e => e.Outcome is not null).OrderByDescending(e => e.DecidedAt).Take(max).Select(e => e.ToRecord()).ToList());

    public Task<ApprovalRecord?> Get(string turnId) => Task.FromResult(state.State.Items.GetValueOrDefault(turnId)?.ToRecord());

    public Task<DateTimeOffset?> DeadlinesCheckedAt() => Task.FromResult(_checkedAt);

    public async Task<ApprovalDecision> Approve(string turnId, string by, string? editedAnswer = null)
    {
        if (Refusal(turnId) is { } refused) return refused;
        var entry = state.State.Items[turnId];
        var item = entry.Item;
        var edited = string.IsNullOrWhiteSpace(editedAnswer) || editedAnswer == item.Turn.Answer ? null : editedAnswer.Trim();
        if (item.Kind == HoldKind.Message && edited is null)
        {
            // A held customer message that a person judged fine goes on to the assistant.
            var released = item.Turn with
            {
                DecidedBy = by,
                Verdict = new Verdict(Pipeline.TurnChecks.ApprovalStage, VerdictDecision.Allow, "moderator.released", $"released by {by}", ""),
            };
            await PublishAsync(Stage.TierRouter, Topics.UserMessagesCleaned, released, ChatEventTypes.MessageReleased, "released");
            return await CompleteAsync(entry, "released", by, null, null, InterventionStep.Released, "Released: the assistant answers the customer now.");
        }
        var answer = edited ?? item.Turn.Answer ?? "";
        if (item.Lead is { } lead)
        {
            // A lead's message goes on to the router (step 10), as the moderator left it.
            await PublishLeadAsync(Marketing.LeadTopics.MessageApproved, lead with { Message = answer, DecidedBy = by }, Marketing.LeadEventTypes.MessageApproved, "approved");
            var (leadOutcome, leadStep) = edited is null ? ("approved", InterventionStep.Approved) : ("edited", InterventionStep.Edited);
            return await CompleteAsync(entry, leadOutcome, by, answer, null, leadStep, "Approved: the message goes to the lead, sales and the CRM now.",
                edited is not null && item.Turn.Answer is { } pitch ? AnswerDiff.Between(pitch, edited) : []);
        }
        var type = item.Kind == HoldKind.Correction ? ChatEventTypes.ResponseCorrected : ChatEventTypes.ResponseApproved;
        await PublishAsync(Stage.Delivery, Topics.AgentResponsesApproved, item.Turn with { Answer = answer, DecidedBy = by }, type, "approved");
        var (outcome, step) = edited is null || item.Kind == HoldKind.Message ? ("approved", InterventionStep.Approved) : ("edited", InterventionStep.Edited);
        var diff = edited is not null && item.Turn.Answer is { } original ? AnswerDiff.Between(original, edited) : [];
        return await CompleteAsync(entry, outcome, by, answer, null, step,
            item.Kind == HoldKind.Correction ? "Approved: the correction is sent to the customer now." : "Approved: the customer gets the answer now.", diff);
    }

    public async Task<ApprovalDecision> Reject(string turnId, string by, string reason, string replacement)
    {
        if (Refusal(turnId) is { } refused) return refused;
        var entry = state.State.Items[turnId];
        await SendReplacementAsync(entry.Item, by, reason, replacement);
        return await CompleteAsync(entry, "rejected", by, replacement, reason, InterventionStep.Rejected,
            entry.Item.Kind switch
            {
                HoldKind.Correction => "Rejected: the customer keeps the standard answer.",
                HoldKind.Lead => "Rejected: nothing is sent to the lead.",
                _ => "Rejected: the customer gets the replacement now.",
            });
    }

    private ApprovalDecision? Refusal(string turnId)
    {
        if (!state.State.Items.TryGetValue(turnId, out var entry))
            return new ApprovalDecision(false, "unknown", null, null, $"No held item {turnId} in the {Team} queue.");
        return entry.Outcome is null ? null
            : new ApprovalDecision(false, entry.Outcome, entry.DecidedBy, entry.DecidedAt, $"Already {entry.Outcome} by {entry.DecidedBy} at {entry.DecidedAt:HH:mm:ss}.");
    }

    private Task SendReplacementAsync(ApprovalItem item, string by, string reason, string replacement) => item.Lead is { } lead
        // A rejected lead message is not sent at all: the lead is closed as rejected, with the moderator's reason.
        ? PublishLeadAsync(Marketing.LeadTopics.Rejected, lead with
        {
            DecidedBy = by,
            Verdict = new Verdict(Pipeline.TurnChecks.ApprovalStage, VerdictDecision.Block, "moderator.rejected", reason, replacement),
        }, Marketing.LeadEventTypes.Rejected, "rejected")
        : PublishAsync(Stage.Delivery, Topics.AgentResponsesRejected, item.Turn with
        {
            Answer = replacement,
            DecidedBy = by,
            Verdict = new Verdict(Pipeline.TurnChecks.ApprovalStage, VerdictDecision.Flag, "moderator.rejected", reason, replacement),
        }, ChatEventTypes.ResponseRejected, "rejected");

    private async Task<ApprovalDecision> CompleteAsync(ApprovalEntry entry, string outcome, string by, string? finalText, string? reason,
        InterventionStep step, string message, IReadOnlyList<DiffSegment>? diff = null)
    {
        // The customer's event (published by the caller) and the audit event go out before the decision
        // is stored: if a publish fails nothing is recorded and the moderator can try again; if the write
        // fails, a retry publishes again and the conversation still applies the turn once.
        var at = clock.GetUtcNow();
        var latencyMs = (at - entry.Item.HeldAt).TotalMilliseconds;
        await PublishAuditAsync(entry.Item, step, by, at, latencyMs, finalText, reason, diff ?? []);
        entry.Outcome = outcome;
        entry.DecidedBy = by;
        entry.DecidedAt = at;
        entry.FinalText = finalText;
        entry.Reason = reason;
        entry.Diff = diff?.ToList() ?? [];
        await state.WriteOrDropAsync(this);
        NotifyObservers();
        return new ApprovalDecision(true, outcome, by, at, message);
    }

    // ---- SLA deadlines ----

    private async Task WatchDeadlinesAsync()
    {
        if (Waiting.Any())
        {
            if (_deadlineTimer is not null) return;
            _deadlineTimer = this.RegisterGrainTimer(CheckDeadlinesAsync, new GrainTimerCreationOptions(sla.Value.CheckPeriod, sla.Value.CheckPeriod) { KeepAlive = true });
            // Once per activation with waiting items, not per check: the reminder table is a store.
            await this.RegisterOrUpdateReminder(SlaReminder, sla.Value.ReminderPeriod, sla.Value.ReminderPeriod);
        }
        else
        {
            // Also on an activation (or a reminder) that finds nothing waiting: the reminder must not outlive the items.
            _deadlineTimer?.Dispose();
            _deadlineTimer = null;
            if (await this.GetReminder(SlaReminder) is { } reminder) await this.UnregisterReminder(reminder);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => CheckDeadlinesAsync(CancellationToken.None);

    private async Task CheckDeadlinesAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        foreach (var entry in Waiting.ToList())
        {
            try
            {
                if (entry.Item.DefaultAt <= now) await ApplyDefaultAsync(entry);
                else if (entry.Item.EscalateAt <= now) await EscalateAsync(entry);
            }
            catch (Exception ex)
            {
                // Left waiting: the next check tries again.
                logger.LogError(ex, "SLA step for {Turn} in the {Team} queue failed", entry.Item.Turn.TurnId, Team);
            }
        }
        _checkedAt = now;
        await WatchDeadlinesAsync();
    }

    private async Task EscalateAsync(ApprovalEntry entry)
    {
        var to = sla.Value.For(Team, entry.Item.Turn.Tier).EscalateTo;
        await GrainFactory.GetGrain<IApprovalQueueGrain>(to).Add(entry.Item with { EscalatedFrom = Team });
        await CompleteAsync(entry, $"escalated to {to}", "sla", null, $"undecided after {Format(entry.Item.EscalateAt!.Value - entry.Item.HeldAt)}",
            InterventionStep.Escalated, $"Escalated to the {to} queue.");
    }

    private async Task ApplyDefaultAsync(ApprovalEntry entry)
    {
        var item = entry.Item;
        var reason = $"no decision within {Format(item.DefaultAt!.Value - item.HeldAt)}";
        if (item.Lead is not null)
        {
            // Nothing risky goes to a lead unreviewed: the safe default is not to send.
            await SendReplacementAsync(item, "sla", reason, "");
            await CompleteAsync(entry, "default: not sent", "sla", null, reason, InterventionStep.DefaultApplied, "The message was not sent.");
            return;
        }
        if (item.DefaultAction == SlaDefaultAction.SendAnswer && item.Kind == HoldKind.Answer && item.Turn.Answer is { } answer)
        {
            await PublishAsync(Stage.Delivery, Topics.AgentResponsesApproved, item.Turn with { DecidedBy = "sla" }, ChatEventTypes.ResponseApproved, "approved");
            await CompleteAsync(entry, "default: answer sent", "sla", answer, reason, InterventionStep.DefaultApplied, "The held answer was sent.");
            return;
        }
        var fallback = (await GrainFactory.GetGrain<ITenantGrain>(item.Turn.TenantId).GetProfile())?.FallbackAnswer ?? "Our team will get back to you.";
        await SendReplacementAsync(item, "sla", reason, fallback);
        await CompleteAsync(entry, "default: fallback sent", "sla", fallback, reason, InterventionStep.DefaultApplied, "The fallback was sent.");
    }

    private static string Format(TimeSpan span) => span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0} s";

    // ---- events and figures ----

    private Task PublishAsync(Stage via, string topic, ChatTurn turn, string type, string step) =>
        this.GetStreamProvider(via.Name)
            .GetStream<CloudEvent>(StreamId.Create(topic, turn.SessionId))
            .OnNextAsync(ChatEvents.For(turn, type, step, "/approvals/" + Team));

    private Task PublishLeadAsync(string topic, Marketing.Lead lead, string type, string step) =>
        this.GetStreamProvider(Marketing.LeadStages.EmergencyStop.Name)
            .GetStream<CloudEvent>(StreamId.Create(topic, lead.LeadId))
            .OnNextAsync(Marketing.LeadEvents.For(lead, type, step, "/approvals/" + Team));

    /// <summary>
    /// Every step goes to <c>approvals.events</c>: the audit trail, replayable from Kafka, and the only source of the
    /// intervention figures (the audit stage counts each step from there).
    /// </summary>
    private Task PublishAuditAsync(ApprovalItem item, InterventionStep step, string by, DateTimeOffset at, double? latencyMs,
        string? finalText, string? reason, IReadOnlyList<DiffSegment> diff)
    {
        var audit = new ApprovalAudit(item.Turn.TurnId, item.Turn.TenantId, item.Turn.SessionId, item.Turn.Tier, Team, item.Rule, item.Kind,
            step, by, at, latencyMs, item.Turn.Answer, finalText, reason, diff);
        return this.GetStreamProvider(Stage.Delivery.Name)
            .GetStream<CloudEvent>(StreamId.Create(Topics.ApprovalEvents, item.Turn.SessionId))
            .OnNextAsync(CloudEvent.Create(ChatEventTypes.ApprovalRecorded, "/approvals/" + Team, audit,
                    id: $"{item.Turn.TurnId}.{Team}.{step.ToString().ToLowerInvariant()}", subject: item.Turn.TurnId, time: at,
                    traceParent: ChatEvents.TraceParentOf(item.Turn))
                // Whose step it is, like every other event: the audit index files it under the tenant (a tenant admin sees it).
                .WithExtension("tenantid", item.Turn.TenantId).WithExtension("sessionid", item.Turn.SessionId)
                .WithExtension("tier", item.Turn.Tier.ToString().ToLowerInvariant()));
    }

    private void NotifyObservers() => _observers.Notify(o => o.OnQueueChanged());
}

/// <summary>The data of an <c>approval.recorded</c> event.</summary>
public sealed record ApprovalAudit(
    string TurnId, string TenantId, string SessionId, Tier Tier, string Team, string Rule, HoldKind Kind,
    InterventionStep Step, string By, DateTimeOffset At, double? LatencyMs, string? Original, string? Final, string? Reason,
    IReadOnlyList<DiffSegment> Diff);

[GenerateSerializer]
public sealed class ApprovalEntry
{
    [Id(0)] public ApprovalItem Item { get; set; } = null!;
    [Id(1)] public string? Outcome { get; set; }
    [Id(2)] public string? DecidedBy { get; set; }
    [Id(3)] public DateTimeOffset? DecidedAt { get; set; }
    [Id(4)] public string? FinalText { get; set; }
    [Id(5)] public string? Reason { get; set; }
    [Id(6)] public List<DiffSegment> Diff { get; set; } = [];

    public ApprovalRecord ToRecord() => new(Item, Outcome ?? "waiting", DecidedBy, DecidedAt, FinalText, Diff, Reason);
}

[GenerateSerializer]
public sealed class ApprovalQueueState
{
    [Id(0)] public Dictionary<string, ApprovalEntry> Items { get; set; } = [];
}
