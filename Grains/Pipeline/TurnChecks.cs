using Grains.Conversations;

namespace Grains.Pipeline;

/// <summary>
/// What every stage checks before it handles a turn, whoever wrote it to Kafka: the same limits as the chat box, and
/// the verdicts of the stages before it. A turn that fails a check is dead-lettered with the answer as its reason.
/// (Which principal may write which topic is Kafka's job: docs/OPERATIONS.md lists the ACLs.)
/// </summary>
public static class TurnChecks
{
    public const int MaxIdLength = 128;

    /// <summary>The turn's own fields: ids present and short, the session the message key names, text within the limits.</summary>
    public static string? Shape(ChatTurn turn, string streamKey, bool answered)
    {
        if (Id(turn.TurnId, "turnId") is { } turnId) return turnId;
        if (Id(turn.TenantId, "tenantId") is { } tenantId) return tenantId;
        if (!string.Equals(turn.SessionId, streamKey, StringComparison.Ordinal))
            return $"sessionId '{Cut(turn.SessionId)}' is not the session the message key names ('{Cut(streamKey)}')";
        if (!Enum.IsDefined(turn.Tier)) return $"tier {(int)turn.Tier} is not free, pro or enterprise";
        if (string.IsNullOrWhiteSpace(turn.Text)) return "text is empty";
        if (turn.Text.Length > ConversationLimits.MaxMessageLength)
            return $"text has {turn.Text.Length} characters; messages are limited to {ConversationLimits.MaxMessageLength}";
        if (answered && turn.Answer is { Length: > ConversationLimits.MaxAnswerLength } answer)
            return $"answer has {answer.Length} characters; answers are limited to {ConversationLimits.MaxAnswerLength}";
        return null;
    }

    /// <summary>
    /// Past the input guardrail: it allowed the text (possibly rewritten), or a moderator released a held message.
    /// A turn written straight to a later topic carries neither and is refused.
    /// </summary>
    public static string? PassedInput(ChatTurn turn) => turn.Verdict switch
    {
        null => "it carries no input guardrail verdict: turns enter the pipeline on user.messages.raw",
        { Stage: var s, Decision: VerdictDecision.Allow or VerdictDecision.Rewrite } when s == Stage.InputGuardrail.Name => null,
        { Stage: ApprovalStage, Decision: VerdictDecision.Allow } when !string.IsNullOrWhiteSpace(turn.DecidedBy) => null,
        var v => $"its verdict ({v.Stage}: {v.Decision.ToString().ToLowerInvariant()} by {v.Rule}) is not the input guardrail's allow",
    };

    /// <summary>Past the output guardrail: it allowed the answer (possibly rewritten).</summary>
    public static string? PassedOutput(ChatTurn turn) => turn.Verdict switch
    {
        { Stage: var s, Decision: VerdictDecision.Allow or VerdictDecision.Rewrite } when s == Stage.OutputGuardrail.Name => null,
        null => "it carries no output guardrail verdict",
        var v => $"its verdict ({v.Stage}: {v.Decision.ToString().ToLowerInvariant()} by {v.Rule}) is not the output guardrail's allow",
    };

    /// <summary>The stage name in the verdicts of people's decisions (approvals).</summary>
    public const string ApprovalStage = "approval";

    private static string? Id(string? value, string name) =>
        string.IsNullOrWhiteSpace(value) ? $"{name} is empty"
        : value.Length > MaxIdLength ? $"{name} has {value.Length} characters (at most {MaxIdLength})"
        : value.Any(char.IsControl) ? $"{name} contains control characters"
        : null;

    private static string Cut(string? value) => value is null ? "" : value.Length <= 64 ? value : value[..64] + "…";
}
