using Orleans.Concurrency;
using Grains.Pipeline;

namespace Grains.Conversations;

public enum Speaker { Customer, Assistant }

/// <summary>Where a customer's message stands, as the customer sees it.</summary>
public enum LineStatus { Pending, Answered, Rejected, Replaced, Failed, Held, Throttled }

[GenerateSerializer, Immutable]
public sealed record ChatLine(
    [property: Id(0)] string TurnId,
    [property: Id(1)] Speaker Role,
    [property: Id(2)] string Text,
    [property: Id(3)] LineStatus Status,
    [property: Id(4)] DateTimeOffset At,
    [property: Id(5)] string? Note = null);

[GenerateSerializer, Immutable]
public sealed record ConversationView(
    [property: Id(0)] string SessionId,
    [property: Id(1)] string TenantId,
    [property: Id(2)] string TenantName,
    [property: Id(3)] Tier Tier,
    [property: Id(4)] string Greeting,
    [property: Id(5)] IReadOnlyList<ChatLine> Lines);

[GenerateSerializer, Immutable]
public sealed record SendResult(
    [property: Id(0)] bool Accepted,
    [property: Id(1)] string? TurnId,
    [property: Id(2)] string? Error)
{
    public static SendResult Refused(string error) => new(false, null, error);
}

/// <summary>A browser circuit watching a conversation. One-way: a slow browser never blocks the grain.</summary>
public interface IConversationObserver : IGrainObserver
{
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [OneWay, Alias("line")] Task OnLine(ChatLine line);
}

public interface IConversationGrain : IGrainWithStringKey
{
    /// <summary>Binds the session to a tenant on first use (a session never changes tenant) and returns what the customer sees.</summary>
    /// <summary>
    /// With an <paramref name="owner"/> (a browser's key), the session is bound to it on first open;
    /// any other owner then gets <see cref="ConversationAccessDeniedException"/>.
    /// </summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("open")] Task<ConversationView> Open(string tenantId, string? owner = null);

    /// <summary>The session as its owner left it (null when it was never opened); another owner is refused.</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("resume")] Task<ConversationView?> Resume(string owner);

    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("view")] Task<ConversationView?> View();

    /// <summary>
    /// Accepts a message once Kafka has it (acks=all), or says why not (length, rate, unknown session).
    /// <paramref name="clientAddress"/> (the sender's network address) and the browser the session is bound to make
    /// the per-client fair-use limit, in front of the tenant's quota.
    /// </summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("send")] Task<SendResult> Send(string text, string? clientAddress = null);

    /// <summary>Watch for new lines; call again within <see cref="ConversationLimits.ObserverLease"/> to stay subscribed.</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("subscribe")] Task Subscribe(IConversationObserver observer);

    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("unsubscribe")] Task Unsubscribe(IConversationObserver observer);
}

public static class ConversationLimits
{
    public const int MaxMessageLength = 1000;
    /// <summary>Longer model answers are cut here (with an ellipsis); longer answers on the topics are refused.</summary>
    public const int MaxAnswerLength = 8000;
    public const int MaxMessagesPerWindow = 5;
    public static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan ObserverLease = TimeSpan.FromMinutes(2);

    public static string Cut(string answer) => answer.Length <= MaxAnswerLength ? answer : answer[..(MaxAnswerLength - 1)] + "…";
}

/// <summary>A browser tried to read or post to a conversation another browser opened.</summary>
[GenerateSerializer]
public sealed class ConversationAccessDeniedException(string sessionId)
    : UnauthorizedAccessException($"Conversation {sessionId} belongs to another browser session.")
{
    [Id(0)] public string SessionId { get; } = sessionId;
}
