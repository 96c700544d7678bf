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
    /// <summary>Counts the request against the tenant's limits, or refuses it (nothing is counted then).</summary>
    [Alias("admit")] Task<QuotaDecision> Admit(string turnId, int estimatedTokens);

    /// <summary>The tokens a call really used (the model's usage figures, else the estimate).</summary>
    [Alias("usage"), Orleans.Concurrency.OneWay] Task RecordTokens(int tokens);

    [Alias("status"), Orleans.Concurrency.ReadOnly] Task<QuotaUsage> Status();
}

/// <summary>
/// One tenant's rate limits and quotas (requests and tokens per minute and per UTC day), from its
/// tier's defaults unless its profile overrides them. Sliding minute, calendar day. In memory: a
/// restart forgives the current minute, which errs towards the customer.
/// </summary>
public sealed class TenantQuotaGrain(
    IOptions<QuotaOptions> options,
    [FromKeyedServices(PlatformClock.Key)] TimeProvider clock) : Grain, ITenantQuotaGrain
{
    private readonly Queue<DateTimeOffset> _requests = new();
    private readonly Queue<(DateTimeOffset At, int Tokens)> _tokens = new();
    private readonly HashSet<string> _admitted = [];
    private DateOnly _day;
    private int _requestsToday;
    private long _tokensToday;
    private long _refused;

    private async Task<QuotaLimits> LimitsAsync()
    {
        var profile = await GrainFactory.GetGrain<ITenantGrain>(this.GetPrimaryKeyString()).GetProfile();
        return profile?.Limits ?? options.Value.For(profile?.Tier ?? Tier.Free);
    }

    public async Task<QuotaDecision> Admit(string turnId, int estimatedTokens)
    {
        if (_admitted.Contains(turnId)) return new QuotaDecision(true, null, null, null); // redelivered: already counted
        var limits = await LimitsAsync();
        var now = clock.GetUtcNow();
        Roll(now);
        var minuteTokens = _tokens.Sum(t => t.Tokens);
        QuotaDecision? refusal =
            limits.RequestsPerMinute > 0 && _requests.Count >= limits.RequestsPerMinute
                ? Refuse("quota.requests-per-minute", $"{limits.RequestsPerMinute} messages a minute", _requests.Peek() + TimeSpan.FromMinutes(1) - now)
            : limits.TokensPerMinute > 0 && minuteTokens + estimatedTokens > limits.TokensPerMinute && _tokens.Count > 0
                ? Refuse("quota.tokens-per-minute", "its share of the assistant for this minute", _tokens.Peek().At + TimeSpan.FromMinutes(1) - now)
            : limits.RequestsPerDay > 0 && _requestsToday >= limits.RequestsPerDay
                ? Refuse("quota.requests-per-day", $"{limits.RequestsPerDay} messages a day", NextDay(now) - now)
            : limits.TokensPerDay > 0 && _tokensToday + estimatedTokens > limits.TokensPerDay
                ? Refuse("quota.tokens-per-day", "its share of the assistant for today", NextDay(now) - now)
            : null;
        if (refusal is not null)
        {
            _refused++;
            return refusal;
        }
        _requests.Enqueue(now);
        _requestsToday++;
        _admitted.Add(turnId);
        if (_admitted.Count > 10_000) _admitted.Clear();
        return new QuotaDecision(true, null, null, null);
    }

    private static QuotaDecision Refuse(string rule, string limit, TimeSpan retryAfter)
    {
        var wait = retryAfter < TimeSpan.FromMinutes(2) ? $"{Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds)):0} seconds" : $"{Math.Ceiling(retryAfter.TotalHours):0} hours";
        return new QuotaDecision(false, rule, $"This assistant has reached {limit} for this business. Please try again in {wait} — sorry for the wait.", retryAfter);
    }

    public Task RecordTokens(int tokens)
    {
        var now = clock.GetUtcNow();
        Roll(now);
        _tokens.Enqueue((now, tokens));
        _tokensToday += tokens;
        return Task.CompletedTask;
    }

    public async Task<QuotaUsage> Status()
    {
        var now = clock.GetUtcNow();
        Roll(now);
        return new QuotaUsage(this.GetPrimaryKeyString(), await LimitsAsync(), _requests.Count, _requestsToday, _tokens.Sum(t => (long)t.Tokens), _tokensToday, _refused);
    }

    private void Roll(DateTimeOffset now)
    {
        while (_requests.Count > 0 && now - _requests.Peek() >= TimeSpan.FromMinutes(1)) _requests.Dequeue();
        while (_tokens.Count > 0 && now - _tokens.Peek().At >= TimeSpan.FromMinutes(1)) _tokens.Dequeue();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        if (today != _day)
        {
            _day = today;
            _requestsToday = 0;
            _tokensToday = 0;
        }
    }

    private static DateTimeOffset NextDay(DateTimeOffset now) => new(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
}
