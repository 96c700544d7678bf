using Grains.Guardrails;
using Grains.Pipeline;
using Grains.Tenants;
using Microsoft.Extensions.DependencyInjection;

namespace Grains.Audit;

/// <summary>Which recorded conversations a what-if judges again: one session, the tenant's last N turns, or a time range.</summary>
public sealed record WhatIfScope(string? SessionId = null, int? LastTurns = null, DateTimeOffset? From = null, DateTimeOffset? To = null)
{
    /// <summary>At most this many turns per run: the tenant's audit search answers no more at once.</summary>
    public const int MaxTurns = 1000;

    public static WhatIfScope Session(string sessionId) => new(SessionId: sessionId);

    public static WhatIfScope Last(int turns) => new(LastTurns: turns);

    public static WhatIfScope Between(DateTimeOffset? from, DateTimeOffset? to) => new(From: from, To: to);

    /// <summary>What is wrong with the scope (exactly one kind, sensible bounds), or null.</summary>
    public string? Problem()
    {
        var kinds = (SessionId is not null ? 1 : 0) + (LastTurns is not null ? 1 : 0) + (From is not null || To is not null ? 1 : 0);
        if (kinds != 1) return "give exactly one of: sessionId, lastTurns, or a time range (from and/or to)";
        if (SessionId is not null && string.IsNullOrWhiteSpace(SessionId)) return "sessionId must not be empty";
        if (LastTurns is < 1 or > MaxTurns) return $"lastTurns must be between 1 and {MaxTurns}";
        if (From is { } from && To is { } to && from > to) return "from must not be after to";
        return null;
    }
}

/// <summary>How a draft would change a recorded decision. Blocked covers refused messages and withheld (flagged) answers.</summary>
public enum WhatIfChange { None, NewlyBlocked, NewlyAllowed, NewlyHeld }

/// <summary>One recorded text judged again: the verdict that decided it then and the draft's, side by side.</summary>
public sealed record WhatIfMessage(
    string SessionId,
    string TurnId,
    string Stage,
    DateTimeOffset Time,
    string Text,
    Verdict? Recorded,
    Verdict Draft,
    WhatIfChange Change,
    string? Note);

public sealed record WhatIfTotals(int Sessions, int Turns, int Messages, int Changed, int NewlyBlocked, int NewlyAllowed, int NewlyHeld, int WithoutRecordedVerdict);

/// <summary>What a draft policy would have decided over recorded conversations; <see cref="Notes"/> says what it cannot tell.</summary>
public sealed record WhatIfResult(string TenantId, WhatIfScope Scope, WhatIfTotals Totals, IReadOnlyList<WhatIfMessage> Messages, IReadOnlyList<string> Notes, bool Truncated)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<WhatIfMessage> Changes => Messages.Where(m => m.Change != WhatIfChange.None).ToList();
}

/// <summary>
/// A draft guardrail policy against past conversations: finds the tenant's recorded turns through the audit index,
/// reads each customer message (<c>user.messages.raw</c>), model answer (<c>agent.responses.raw</c>) and the evaluation
/// that decided it (<c>guardrail.verdicts</c>) back from Kafka by position, and runs the platform's own input and output
/// chains over them with the draft in place of the tenant's policy. Nothing is published, stored or sent, and no model is
/// called: the optional LLM judge is left out. Deterministic: messages in log order, no timings in the result.
/// </summary>
public sealed class PolicyWhatIf(IGrainFactory grains, AuditReplay replay, GuardrailChains chains)
{
    public const string JudgeLeftOut = "The LLM judge (Guardrails:Judge) is left out: a what-if calls no model, so only the in-process detectors judge again.";

    public static PolicyWhatIf For(IServiceProvider services) =>
        new(services.GetRequiredService<IGrainFactory>(), AuditReplay.For(services), services.GetRequiredService<GuardrailChains>());

    public async Task<WhatIfResult> RunAsync(string tenantId, GuardrailPolicy draft, WhatIfScope scope, CancellationToken cancellationToken = default)
    {
        if (scope.Problem() is { } problem) throw new ArgumentException(problem, nameof(scope));
        var profile = await grains.GetGrain<ITenantGrain>(tenantId).GetProfile()
            ?? throw new ArgumentException($"tenant '{tenantId}' is not known to the platform", nameof(tenantId));
        // The draft's verdicts name the version it would be saved as, so the two sides never show the same number.
        var tenant = profile with { Policy = draft with { Version = profile.Policy.Version + 1 } };

        var (sessions, truncated) = await SessionsAsync(tenantId, scope);
        var recorded = new List<RecordedTurn>();
        foreach (var (session, turns) in sessions)
            recorded.AddRange(await ReadAsync(tenantId, session, turns, cancellationToken));

        var messages = new List<WhatIfMessage>();
        foreach (var turn in recorded.OrderBy(t => t.Time).ThenBy(t => t.TurnId, StringComparer.Ordinal))
        {
            WhatIfMessage? input = null;
            if (turn.Message is { } message)
            {
                var judged = await chains.Input.RunAsync(tenant, message, cancellationToken);
                input = Compare(turn, chains.Input.Stage, message, turn.InputVerdict, judged.Decision,
                    turn.Answer is null && Class(judged.Decision) == Pass && Class(turn.InputVerdict) != Pass
                        ? "never answered: a what-if calls no model, so there is no answer to judge" : null);
                messages.Add(input);
            }
            if (turn.Answer is { } answer)
            {
                var judged = await chains.Output.RunAsync(tenant, answer, cancellationToken);
                messages.Add(Compare(turn, chains.Output.Stage, answer, turn.OutputVerdict, judged.Decision,
                    Class(input?.Draft) switch
                    {
                        Stopped => "under the draft the customer's message is stopped before the model: this answer would not be given",
                        Held when Class(turn.InputVerdict) != Held => "under the draft the customer's message waits for a person before the model answers",
                        _ => null,
                    }));
            }
        }

        var notes = new List<string> { JudgeLeftOut };
        if (draft.UseModelJudge) notes.Add("The draft asks the LLM judge: its verdicts would come on top of these.");
        if (truncated) notes.Add($"Only the newest {WhatIfScope.MaxTurns} turns of the range were judged.");
        var totals = new WhatIfTotals(
            recorded.Select(t => t.SessionId).Distinct().Count(), recorded.Count, messages.Count,
            messages.Count(m => m.Change != WhatIfChange.None),
            messages.Count(m => m.Change == WhatIfChange.NewlyBlocked),
            messages.Count(m => m.Change == WhatIfChange.NewlyAllowed),
            messages.Count(m => m.Change == WhatIfChange.NewlyHeld),
            messages.Count(m => m.Recorded is null));
        return new WhatIfResult(tenantId, scope, totals, messages, notes, truncated);
    }

    private static WhatIfMessage Compare(RecordedTurn turn, string stage, string text, Verdict? recorded, Verdict draft, string? note)
    {
        if (recorded?.Detector == "model-judge") note = Join(note, "the recorded decision was the LLM judge's, which a what-if does not ask");
        if (recorded is null) note = Join(note, "no recorded verdict (not evaluated, or no longer in Kafka)");
        return new WhatIfMessage(turn.SessionId, turn.TurnId, stage, turn.Time, text, recorded, draft, ChangeOf(recorded, draft), note);

        static string Join(string? a, string b) => a is null ? b : $"{a}; {b}";
    }

    private const int Pass = 0, Held = 1, Stopped = 2;

    /// <summary>What reaches the customer: passed on (allow, rewrite), held for a person, or stopped (block, flag).</summary>
    private static int Class(Verdict? verdict) => verdict?.Decision switch
    {
        null or VerdictDecision.Allow or VerdictDecision.Rewrite => Pass,
        VerdictDecision.Hold => Held,
        _ => Stopped,
    };

    public static WhatIfChange ChangeOf(Verdict? recorded, Verdict draft) =>
        recorded is null || Class(recorded) == Class(draft) ? WhatIfChange.None
        : Class(draft) switch { Pass => WhatIfChange.NewlyAllowed, Held => WhatIfChange.NewlyHeld, _ => WhatIfChange.NewlyBlocked };

    /// <summary>The sessions to read and, per session, the turns wanted (null = all of the session's).</summary>
    private async Task<(IReadOnlyList<(string Session, IReadOnlySet<string>? Turns)> Sessions, bool Truncated)> SessionsAsync(string tenantId, WhatIfScope scope)
    {
        if (scope.SessionId is { } session) return ([(session, null)], false);
        var found = await grains.GetGrain<IAuditTenantGrain>(tenantId).Search(new AuditQuery(scope.From, scope.To, Max: WhatIfScope.MaxTurns));
        // Newest first; a turn may have several outcomes (held, then answered): each turn once.
        var turns = found.Where(t => t.TurnId is not null).DistinctBy(t => t.TurnId).Take(scope.LastTurns ?? WhatIfScope.MaxTurns).ToList();
        var truncated = scope.LastTurns is null && found.Count >= WhatIfScope.MaxTurns;
        return (turns.GroupBy(t => t.SessionId).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, (IReadOnlySet<string>?)g.Select(t => t.TurnId!).ToHashSet(StringComparer.Ordinal))).ToList(), truncated);
    }

    /// <summary>A turn as recorded: the customer's message, the model's answer, and the evaluations that decided them.</summary>
    private sealed record RecordedTurn(string SessionId, string TurnId, DateTimeOffset Time)
    {
        public string? Message { get; set; }
        public string? Answer { get; set; }
        public Verdict? InputVerdict { get; set; }
        public Verdict? OutputVerdict { get; set; }
    }

    private static readonly HashSet<string> Wanted = [ChatEventTypes.MessageReceived, ChatEventTypes.ResponseRaw, ChatEventTypes.GuardrailEvaluated];

    private async Task<IReadOnlyList<RecordedTurn>> ReadAsync(string tenantId, string session, IReadOnlySet<string>? turns, CancellationToken cancellationToken)
    {
        // Only the tenant's own events, and only the three kinds a what-if needs: the rest of the history is not read.
        var entries = (await grains.GetGrain<IAuditSessionGrain>(session).Entries())
            .Where(e => e.TenantId == tenantId && e.TurnId is not null && Wanted.Contains(e.Type) && (turns is null || turns.Contains(e.TurnId)))
            .DistinctBy(e => e.EventId) // the same event produced twice (a stage re-ran) sits at two positions
            .ToList();
        var byTurn = new Dictionary<string, RecordedTurn>(StringComparer.Ordinal);
        foreach (var e in await replay.ReadAsync(entries, cancellationToken))
        {
            if (e.Event is not { } read) continue; // expired: the turn is judged on what is left, and says so
            var turn = byTurn.TryGetValue(e.Entry.TurnId!, out var t) ? t : byTurn[e.Entry.TurnId!] = new RecordedTurn(session, e.Entry.TurnId!, e.Entry.Time);
            switch (read.Type)
            {
                case ChatEventTypes.MessageReceived:
                    turn.Message = ChatEvents.Turn(read).Text;
                    break;
                case ChatEventTypes.ResponseRaw:
                    turn.Answer = ChatEvents.Turn(read).Answer;
                    break;
                case ChatEventTypes.GuardrailEvaluated when read.DataAs<GuardrailEvaluation>() is { } evaluation:
                    if (evaluation.Stage == Stage.InputGuardrail.Name) turn.InputVerdict = evaluation.Decision;
                    else if (evaluation.Stage == Stage.OutputGuardrail.Name) turn.OutputVerdict = evaluation.Decision;
                    break;
            }
        }
        return byTurn.Values.Where(t => t.Message is not null || t.Answer is not null).ToList();
    }
}
