using Grains.Hosting;
using Grains.Pipeline;
using Grains.Tenants;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Grains.Scheduling;

/// <summary>Admitted, or refused with the rule and a message the customer can act on.</summary>
[GenerateSerializer, Immutable]
public sealed record QuotaDecision(
    [property: Id(0)] bool Allowed,
    [property: Id(1)] string? Rule,
    [property: Id(2)] string? CustomerMessage,
    [property: Id(3)] TimeSpan? RetryAfter);

[GenerateSerializer, Immutable]
public sealed record QuotaUsage(
    [property: Id(0)] string TenantId,
    [property: Id(1)] QuotaLimits Limits,
    [property: Id(2)] int RequestsLastMinute,
    [property: Id(3)] int RequestsToday,
    [property: Id(4)] long TokensLastMinute,
    [property: Id(5)] long TokensToday,
    [property: Id(6)] long Refused);

public interface ITenantQuotaGrain : IGrainWithStringKey
{
    /// <summary>
    /// Counts the request against its client's fair-use limits (<paramref name="clients"/>, see <see cref="ClientKeys"/>)
    /// and the tenant's limits, or refuses it (nothing is counted then): one client cannot use up what the others share.
    /// </summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("admit")] Task<QuotaDecision> Admit(string turnId, int estimatedTokens, IReadOnlyList<string>? clients = null);

    /// <summary>The tokens a call really used (the model's usage figures, else the estimate).</summary>
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("usage"), Orleans.Concurrency.OneWay] Task RecordTokens(int tokens);

    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("status"), Orleans.Concurrency.ReadOnly] Task<QuotaUsage> Status();
}

/// <summary>
/// One tenant's rate limits and quotas (requests and tokens per minute and per UTC day), from its
/// tier's defaults unless its profile overrides them. Sliding minute, calendar day. Stored on every
/// admission, so a restart or a lost silo neither forgives nor double-counts the current minute.
/// </summary>
public sealed class TenantQuotaGrain(
    [PersistentState("quota", GrainStores.Figures)] IPersistentState<TenantQuotaState> state,
    IOptions<QuotaOptions> options,
    [FromKeyedServices(PlatformClock.Key)] TimeProvider clock) : Grain, ITenantQuotaGrain
{
    private TenantQuotaState S => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        S.MoveLegacyLists();
        return Task.CompletedTask;
    }

    private async Task<QuotaLimits> LimitsAsync()
    {
        var profile = await GrainFactory.GetGrain<ITenantGrain>(this.GetPrimaryKeyString()).GetProfile();
        return profile?.Limits ?? options.Value.For(profile?.Tier ?? Tier.Free);
    }

    public async Task<QuotaDecision> Admit(string turnId, int estimatedTokens, IReadOnlyList<string>? clients = null)
    {
        if (S.Remembers(turnId)) return new QuotaDecision(true, null, null, null); // redelivered: already counted
        var limits = await LimitsAsync();
        var now = clock.GetUtcNow();
        S.Roll(now);
        var minuteRequests = S.RequestsInWindow;
        var minuteTokens = S.TokensInWindow;
        QuotaDecision? refusal =
            FairUse(clients ?? [], limits, now) is { } unfair ? unfair
            : limits.RequestsPerMinute > 0 && minuteRequests >= limits.RequestsPerMinute
                ? Refuse("quota.requests-per-minute", $"{limits.RequestsPerMinute} messages a minute", Frees(S.Seconds.First(b => b.Requests > 0), now))
            : limits.TokensPerMinute > 0 && minuteTokens + estimatedTokens > limits.TokensPerMinute && minuteTokens > 0
                ? Refuse("quota.tokens-per-minute", "its share of the assistant for this minute", Frees(S.Seconds.First(b => b.Tokens > 0), now))
            : limits.RequestsPerDay > 0 && S.RequestsToday >= limits.RequestsPerDay
                ? Refuse("quota.requests-per-day", $"{limits.RequestsPerDay} messages a day", NextDay(now) - now)
            : limits.TokensPerDay > 0 && S.TokensToday + estimatedTokens > limits.TokensPerDay
                ? Refuse("quota.tokens-per-day", "its share of the assistant for today", NextDay(now) - now)
            : null;
        if (refusal is not null)
        {
            // Counted, not written: a flood of refused messages must not become a flood of storage writes.
            // The count is stored with the next admission.
            S.Refused++;
            return refusal;
        }
        S.Count(now, requests: 1, tokens: 0);
        S.RequestsToday++;
        foreach (var client in clients ?? []) _clients.Count(client, now);
        S.Remember(turnId);
        await state.WriteOrDropAsync(this);
        return new QuotaDecision(true, null, null, null);
    }

    /// <summary>
    /// Each client's last minute, in memory only: a restart forgives a client its current minute (the tenant's limits,
    /// stored, still hold), and the grain never writes per client.
    /// </summary>
    private readonly ClientWindows _clients = new();

    private QuotaDecision? FairUse(IReadOnlyList<string> clients, QuotaLimits limits, DateTimeOffset now)
    {
        var (browser, address) = options.Value.ClientLimits(limits);
        foreach (var client in clients)
        {
            var limit = client.StartsWith(ClientKeys.AddressPrefix, StringComparison.Ordinal) ? address : browser;
            if (limit > 0 && _clients.Over(client, limit, now) is { } retryAfter)
            {
                var wait = $"{Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds)):0} seconds";
                var rule = client.StartsWith(ClientKeys.AddressPrefix, StringComparison.Ordinal) ? "fairuse.address-per-minute" : "fairuse.browser-per-minute";
                return new QuotaDecision(false, rule,
                    $"You've sent a lot of messages in the last minute, so other customers get their turn first. Please try again in {wait} — sorry for the wait.", retryAfter);
            }
        }
        return null;
    }

    private static QuotaDecision Refuse(string rule, string limit, TimeSpan retryAfter)
    {
        var wait = retryAfter < TimeSpan.FromMinutes(2) ? $"{Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds)):0} seconds" : $"{Math.Ceiling(retryAfter.TotalHours):0} hours";
        return new QuotaDecision(false, rule, $"This assistant has reached {limit} for this business. Please try again in {wait} — sorry for the wait.", retryAfter);
    }

    public async Task RecordTokens(int tokens)
    {
        var now = clock.GetUtcNow();
        S.Roll(now);
        S.Count(now, requests: 0, tokens: tokens);
        S.TokensToday += tokens;
        await state.WriteOrDropAsync(this);
    }

    public async Task<QuotaUsage> Status()
    {
        var now = clock.GetUtcNow();
        S.Roll(now);
        return new QuotaUsage(this.GetPrimaryKeyString(), await LimitsAsync(), S.RequestsInWindow, S.RequestsToday, S.TokensInWindow, S.TokensToday, S.Refused);
    }

    /// <summary>When a counted second leaves the window (rounded up: never sooner than a minute after its admissions).</summary>
    private static TimeSpan Frees(QuotaSecond second, DateTimeOffset now) =>
        DateTimeOffset.FromUnixTimeSeconds(second.Second + TenantQuotaState.WindowSeconds + 1) - now;

    private static DateTimeOffset NextDay(DateTimeOffset now) => new(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
}

/// <summary>Admissions in the last minute per client key, bounded: idle clients are dropped first.</summary>
internal sealed class ClientWindows
{
    internal const int MaxClients = 10_000;
    private readonly Dictionary<string, Queue<DateTimeOffset>> _windows = new(StringComparer.Ordinal);

    /// <summary>How long until the client may send again, or null when it is within <paramref name="limit"/>.</summary>
    public TimeSpan? Over(string client, int limit, DateTimeOffset now)
    {
        if (!_windows.TryGetValue(client, out var window)) return null;
        Expire(window, now);
        return window.Count >= limit ? window.Peek() + TimeSpan.FromMinutes(1) - now : null;
    }

    public void Count(string client, DateTimeOffset now)
    {
        if (!_windows.TryGetValue(client, out var window))
        {
            if (_windows.Count >= MaxClients) Prune(now);
            _windows[client] = window = new Queue<DateTimeOffset>();
        }
        window.Enqueue(now);
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, window) in _windows.ToList())
        {
            Expire(window, now);
            if (window.Count == 0) _windows.Remove(key);
        }
        // Still full of active clients: forget the quietest half rather than grow without bound.
        if (_windows.Count >= MaxClients)
            foreach (var key in _windows.OrderBy(w => w.Value.Count).Take(MaxClients / 2).Select(w => w.Key).ToList()) _windows.Remove(key);
    }

    private static void Expire(Queue<DateTimeOffset> window, DateTimeOffset now)
    {
        while (window.Count > 0 && now - window.Peek() >= TimeSpan.FromMinutes(1)) window.Dequeue();
    }
}
