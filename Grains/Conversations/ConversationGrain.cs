using Grains.Hosting;
using Grains.Pipeline;
using Grains.Tenants;
using Grains.Tiers;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;
using Streaming.Kafka.Events;

namespace Grains.Conversations;

/// <summary>
/// Owns one customer session: its tenant, transcript and trace ids. Sends the customer's messages
/// into the pipeline and receives the outcome from the delivery stage's topics, applying each
/// turn's outcome exactly once however often Kafka redelivers it, then pushes it to browsers.
/// </summary>
[ImplicitStreamSubscription(Topics.AgentResponsesFinal)]
[ImplicitStreamSubscription(Topics.AgentResponsesFlagged)]
[ImplicitStreamSubscription(Topics.UserMessagesRejected)]
[ImplicitStreamSubscription(Topics.AgentResponsesFailed)]
[ImplicitStreamSubscription(Topics.AgentResponsesThrottled)]
[ImplicitStreamSubscription(Topics.AgentResponsesPendingApproval)]
[ImplicitStreamSubscription(Topics.AgentResponsesApproved)]
[ImplicitStreamSubscription(Topics.AgentResponsesRejected)]
[ImplicitStreamSubscription(Topics.DiscountQueriesPendingApproval)]
[ImplicitStreamSubscription(Topics.FinanceQueriesPendingApproval)]
[ImplicitStreamSubscription(Topics.LegalQueriesPendingApproval)]
public sealed class ConversationGrain(
    [PersistentState("conversation", GrainStores.Conversations)] IPersistentState<ConversationState> state,
    TimeProvider time,
    ILogger<ConversationGrain> logger) : Grain, IConversationGrain
{
    private readonly ObserverLeases<IConversationObserver> _observers = new(time, ConversationLimits.ObserverLease);
    private readonly Queue<DateTimeOffset> _recentSends = new();

    private string SessionId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var provider = this.GetStreamProvider(Stage.Delivery.Name);
        foreach (var topic in Stage.Delivery.Topics)
        {
            var stream = StreamId.Create(topic, SessionId);
            await provider.GetStream<CloudEvent>(stream).SubscribeAsync((e, token) => OnOutcomeAsync(stream, e, token));
        }
    }

    public async Task<ConversationView> Open(string tenantId, string? owner = null)
    {
        if (state.State.TenantId is { } bound && bound != tenantId)
            throw new InvalidOperationException($"Session {SessionId} belongs to another tenant.");
        EnsureOwner(owner);
        var tenant = await GrainFactory.GetGrain<ITenantGrain>(tenantId).GetProfile()
                     ?? throw new ArgumentException($"Unknown tenant '{tenantId}'.", nameof(tenantId));
        if (state.State.TenantId is null)
        {
            state.State.TenantId = tenantId;
            state.State.Owner = owner;
            await state.WriteOrDropAsync(this);
        }
        return ViewOf(tenant);
    }

    public async Task<ConversationView?> Resume(string owner)
    {
        if (state.State.TenantId is null) return null;
        EnsureOwner(owner);
        return await View();
    }

    /// <summary>
    /// A session opened by a browser is bound to it: another browser (another owner key) can neither
    /// read nor post, even with the session's address. The first open decides.
    /// </summary>
    private void EnsureOwner(string? owner)
    {
        if (state.State.TenantId is null) return;
        if (state.State.Owner is not null && !string.Equals(state.State.Owner, owner, StringComparison.Ordinal))
            throw new ConversationAccessDeniedException(SessionId);
    }

    public async Task<ConversationView?> View()
    {
        if (state.State.TenantId is null) return null;
        var tenant = await GrainFactory.GetGrain<ITenantGrain>(state.State.TenantId).GetProfile();
        return tenant is null ? null : ViewOf(tenant);
    }

    private ConversationView ViewOf(TenantProfile tenant) =>
        new(SessionId, tenant.TenantId, tenant.Name, tenant.Tier, tenant.Greeting, state.State.Lines.ToList());

    public async Task<SendResult> Send(string text, string? clientAddress = null)
    {
        text = (text ?? "").Trim();
        if (state.State.TenantId is null) return SendResult.Refused("This chat session has not been opened yet.");
        if (text.Length == 0) return SendResult.Refused("Please type a message first.");
        if (text.Length > ConversationLimits.MaxMessageLength)
            return SendResult.Refused($"Messages are limited to {ConversationLimits.MaxMessageLength} characters (yours has {text.Length}).");

        var now = time.GetUtcNow();
        while (_recentSends.Count > 0 && now - _recentSends.Peek() > ConversationLimits.RateWindow) _recentSends.Dequeue();
        if (_recentSends.Count >= ConversationLimits.MaxMessagesPerWindow)
        {
            var wait = ConversationLimits.RateWindow - (now - _recentSends.Peek());
            return SendResult.Refused($"You're sending messages quickly — please wait {Math.Ceiling(wait.TotalSeconds):0} s before the next one.");
        }

        var tenant = await GrainFactory.GetGrain<ITenantGrain>(state.State.TenantId).GetProfile();
        if (tenant is null) return SendResult.Refused("This assistant is not available any more.");

        using var span = PlatformTracing.StartTurn("chat send", tenant.TenantId, SessionId);
        var turn = new ChatTurn
        {
            TurnId = Guid.NewGuid().ToString("N")[..16],
            TenantId = tenant.TenantId,
            SessionId = SessionId,
            Tier = tenant.Tier,
            Text = text,
            SubmittedAt = now,
            TraceId = span?.TraceId.ToHexString() ?? Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()),
            Clients = Scheduling.ClientKeys.Of(state.State.Owner, clientAddress),
        };
        try
        {
            // Accepted = on Kafka (acks=all). Only then does the line enter the transcript.
            await this.GetStreamProvider(Stage.InputGuardrail.Name)
                .GetStream<CloudEvent>(StreamId.Create(Topics.UserMessagesRaw, SessionId))
                .OnNextAsync(ChatEvents.For(turn, ChatEventTypes.MessageReceived, "received", "/portal/chat"));
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not accept a message of session {Session}", SessionId);
            return SendResult.Refused("We couldn't take your message just now. Nothing was sent — please try again.");
        }
        _recentSends.Enqueue(now);

        var line = new ChatLine(turn.TurnId, Speaker.Customer, text, LineStatus.Pending, now);
        state.State.Lines.Add(line);
        await state.WriteOrDropAsync(this);
        Notify(line);
        return new SendResult(true, turn.TurnId, null);
    }

    private async Task OnOutcomeAsync(StreamId from, CloudEvent e, StreamSequenceToken? token)
    {
        using var receive = Streaming.Kafka.KafkaTracing.StartReceive(Stage.Delivery.Name, Stage.Delivery.TopicPrefix(ServiceProvider), from, e, token);
        using var handle = PlatformTracing.StartHandle(Stage.Delivery.Name, e.Subject);
        try
        {
            var reason = Refusal(e, out var turn);
            if (reason is not null || state.State.TenantId is null)
            {
                // Decided on this activation's copy of the state, which can be behind storage when, around a silo's
                // crash, another activation took the send: read what is stored before refusing or ignoring.
                await state.ReadStateAsync();
                reason = Refusal(e, out turn);
            }
            if (reason is not null)
                await DeadLetters.SendAsync(ServiceProvider, Stage.Delivery.Name, from, e, token, $"{Stage.Delivery.Name}: {reason}");
            else if (state.State.TenantId is null)
                await OutcomeWithoutConversationAsync(e, turn!);
            else
                await ApplyOutcomeAsync(e, turn!);
        }
        catch
        {
            // The in-memory state may now be ahead of storage (turn marked decided, write failed).
            // Drop this activation so the redelivery is applied to the stored state, not skipped.
            DeactivateOnIdle();
            throw;
        }
    }

    /// <summary>
    /// Why an outcome is refused (dead-lettered, never shown): not a chat turn, outside the limits, or, in an open
    /// conversation, for a turn its customer never sent, or an answer no output guardrail allowed. Whoever can write
    /// the outcome topics can still forge a verdict: the ACLs in docs/OPERATIONS.md keep them to the platform.
    /// </summary>
    private string? Refusal(CloudEvent e, out ChatTurn? turn)
    {
        turn = null;
        try { turn = ChatEvents.Turn(e); }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidDataException) { return $"not a chat turn: {ex.Message}"; }
        if (TurnChecks.Shape(turn, SessionId, answered: true) is { } shape) return shape;
        if (state.State.TenantId is null) return null;
        if (!string.Equals(turn.TenantId, state.State.TenantId, StringComparison.Ordinal))
            return $"turn {turn.TurnId} names tenant '{turn.TenantId}', but conversation {SessionId} belongs to '{state.State.TenantId}'";
        var turnId = turn.TurnId;
        if (!state.State.Lines.Exists(l => l.TurnId == turnId && l.Role == Speaker.Customer))
            return $"{e.Type} for turn {turnId}, which the customer of conversation {SessionId} never sent";
        if (e.Type == ChatEventTypes.ResponseFinal && TurnChecks.PassedOutput(turn) is { } output) return $"{e.Type} for turn {turnId}: {output}";
        return null;
    }

    private async Task ApplyOutcomeAsync(CloudEvent e, ChatTurn turn)
    {
        if (e.Type == ChatEventTypes.ResponseHeld)
        {
            await HoldAsync(turn);
            return;
        }
        if (e.Type == ChatEventTypes.ResponseCorrected)
        {
            await CorrectAsync(turn);
            return;
        }
        if (e.Type == ChatEventTypes.ResponseDelayed)
        {
            // Busy notice: the answer follows, so the turn stays open.
            if (state.State.DecidedTurns.Contains(turn.TurnId)) return;
            Upsert(new ChatLine(turn.TurnId, Speaker.Assistant, turn.Verdict?.CustomerMessage ?? "", LineStatus.Pending, time.GetUtcNow(), "We're busy — the answer follows."));
            await state.WriteOrDropAsync(this);
            return;
        }
        // Idempotent by turn: a redelivered or duplicated outcome never produces a second answer.
        if (!state.State.DecidedTurns.Add(turn.TurnId)) return;

        var outcome = TurnOutcomes.Of(e.Type) ?? TurnOutcome.Failed;
        var (status, answer, note) = e.Type switch
        {
            ChatEventTypes.ResponseFinal => (LineStatus.Answered, turn.Answer ?? "", turn.ModelName),
            ChatEventTypes.ResponseApproved => (LineStatus.Answered, turn.Answer ?? "", "Reviewed by our team."),
            ChatEventTypes.ResponseFlagged => (LineStatus.Replaced, turn.Verdict?.CustomerMessage ?? "", "Our standard answer was sent instead of the assistant's."),
            ChatEventTypes.ResponseRejected => (LineStatus.Replaced, turn.Answer ?? "", "Our team replaced the assistant's answer."),
            ChatEventTypes.MessageRejected => (LineStatus.Rejected, turn.Verdict?.CustomerMessage ?? "", "Your message was not passed to the assistant."),
            ChatEventTypes.ResponseFailed => (LineStatus.Failed, turn.Answer ?? "", "The assistant could not answer."),
            ChatEventTypes.ResponseThrottled => (LineStatus.Throttled, turn.Verdict?.CustomerMessage ?? "", "Limit reached for this business."),
            ChatEventTypes.ResponseShed => (LineStatus.Throttled, turn.Verdict?.CustomerMessage ?? "", "The assistant is very busy."),
            _ => (LineStatus.Failed, "", $"unexpected event type {e.Type}"),
        };
        if (string.IsNullOrWhiteSpace(answer))
        {
            // An empty answer is no answer: the customer gets the business's fallback, and the turn counts as failed.
            var tenant = await GrainFactory.GetGrain<ITenantGrain>(turn.TenantId).GetProfile();
            (status, answer, note, outcome) = (LineStatus.Failed, tenant?.FallbackAnswer ?? Pipeline.ModelStageGrain.UnavailableMessage, "The assistant gave no answer.", TurnOutcome.Failed);
        }
        var now = time.GetUtcNow();
        var asked = state.State.Lines.Find(l => l.TurnId == turn.TurnId && l.Role == Speaker.Customer)!;
        SetCustomerStatus(turn.TurnId, status);
        Upsert(new ChatLine(turn.TurnId, Speaker.Assistant, answer, status, now, note));
        await state.WriteOrDropAsync(this);
        // Latency from when this conversation took the message (the platform's receipt), never a producer's claim.
        Record(outcome, turn, (now - asked.At).TotalMilliseconds);
    }

    private readonly HashSet<string> _recordedWithoutConversation = [];

    /// <summary>
    /// A turn that a tool wrote to Kafka for a session no customer opened here: its outcomes are on the topics for that
    /// tool, and the SLA figures count it, from the platform's receipt; nothing is stored and nothing shown. A hold still
    /// reaches its team.
    /// </summary>
    private async Task OutcomeWithoutConversationAsync(CloudEvent e, ChatTurn turn)
    {
        if (e.Type == ChatEventTypes.ResponseHeld)
        {
            await GrainFactory.GetGrain<Approvals.IApprovalQueueGrain>(Approvals.Teams.ForRule(turn.Verdict?.Rule))
                .Add(new Approvals.ApprovalItem(turn, time.GetUtcNow()) { Kind = HoldKindOf(turn), Team = Approvals.Teams.ForRule(turn.Verdict?.Rule) });
            return;
        }
        if (TurnOutcomes.Of(e.Type) is not { } outcome || !_recordedWithoutConversation.Add(turn.TurnId)) return;
        var now = time.GetUtcNow();
        Record(outcome, turn, turn.ReceivedAt is { } received ? (now - received).TotalMilliseconds : 0);
    }

    private void Record(TurnOutcome outcome, ChatTurn turn, double latencyMs) =>
        GrainFactory.GetGrain<ITierGrain>(turn.Tier.ToString()).Record(new TurnFigures(outcome, turn.TenantId, Math.Max(0, latencyMs),
            turn.ModelMilliseconds ?? 0, turn.QueueMilliseconds ?? 0, turn.Degraded, turn.BusyNotified)).Ignore();

    private static Approvals.HoldKind HoldKindOf(ChatTurn turn) =>
        turn.FallbackSent ? Approvals.HoldKind.Correction
        : turn.Verdict?.Stage == Stage.InputGuardrail.Name ? Approvals.HoldKind.Message
        : Approvals.HoldKind.Answer;

    /// <summary>
    /// A held answer or message: the customer sees that a person is reviewing it; the team's queue gets
    /// it. Under flag and replace the customer already has the fallback, so only the queue hears of it.
    /// </summary>
    private async Task HoldAsync(ChatTurn turn)
    {
        var kind = HoldKindOf(turn);
        var queued = new Approvals.ApprovalItem(turn, time.GetUtcNow()) { Kind = kind, Team = Approvals.Teams.ForRule(turn.Verdict?.Rule) };
        if (kind == Approvals.HoldKind.Correction)
        {
            if (!state.State.DecidedTurns.Contains(turn.TurnId + CorrectionSuffix))
                await GrainFactory.GetGrain<Approvals.IApprovalQueueGrain>(queued.Team).Add(queued);
            return;
        }
        if (state.State.DecidedTurns.Contains(turn.TurnId)) return; // decided already (redelivered hold)
        await GrainFactory.GetGrain<Approvals.IApprovalQueueGrain>(queued.Team).Add(queued);
        SetCustomerStatus(turn.TurnId, LineStatus.Held);
        Upsert(new ChatLine(turn.TurnId, Speaker.Assistant, turn.Verdict?.CustomerMessage ?? "A member of our team is reviewing the answer.", LineStatus.Held, time.GetUtcNow(), "Held for review."));
        await state.WriteOrDropAsync(this);
    }

    private const string CorrectionSuffix = ":correction";

    /// <summary>Flag and replace, later: the approved answer follows the fallback in the same chat, once.</summary>
    private async Task CorrectAsync(ChatTurn turn)
    {
        if (!state.State.DecidedTurns.Add(turn.TurnId + CorrectionSuffix)) return;
        Upsert(new ChatLine(turn.TurnId + CorrectionSuffix, Speaker.Assistant, turn.Answer ?? "", LineStatus.Answered, time.GetUtcNow(),
            "A correction from our team, replacing the standard answer above."));
        await state.WriteOrDropAsync(this);
    }

    private void SetCustomerStatus(string turnId, LineStatus status)
    {
        var index = state.State.Lines.FindIndex(l => l.TurnId == turnId && l.Role == Speaker.Customer);
        if (index < 0) return;
        state.State.Lines[index] = state.State.Lines[index] with { Status = status };
        Notify(state.State.Lines[index]);
    }

    /// <summary>One assistant line per turn: a reviewed answer replaces the "being reviewed" line.</summary>
    private void Upsert(ChatLine line)
    {
        var index = state.State.Lines.FindIndex(l => l.TurnId == line.TurnId && l.Role == line.Role);
        if (index >= 0) state.State.Lines[index] = line; else state.State.Lines.Add(line);
        Notify(line);
    }

    public Task Subscribe(IConversationObserver observer)
    {
        _observers.Subscribe(observer);
        return Task.CompletedTask;
    }

    public Task Unsubscribe(IConversationObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    private void Notify(ChatLine line) => _observers.Notify(o => o.OnLine(line));
}

[GenerateSerializer]
public sealed class ConversationState
{
    [Id(0)] public string? TenantId { get; set; }
    [Id(1)] public List<ChatLine> Lines { get; set; } = [];
    [Id(2)] public HashSet<string> DecidedTurns { get; set; } = [];
    /// <summary>Hash of the customer's browser key that opened the session (null for sessions opened by back-end callers).</summary>
    [Id(3)] public string? Owner { get; set; }
}
