using System.Globalization;
using System.Net.Http.Json;
using Grains.Tenants;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Grains.Marketing;

/// <summary>Where product availability comes from (<c>Marketing:Availability</c>).</summary>
public sealed class AvailabilityOptions
{
    public const string Section = "Marketing:Availability";

    /// <summary>
    /// The availability API: <c>GET {Url}?tenant=T&amp;product=P</c> answers <c>{"available":true,"inStock":3,"deliveryEstimate":"3–5 days"}</c>.
    /// Unset (the embedded default): the catalog answers, nothing leaves the machine.
    /// </summary>
    public string? Url { get; set; }

    /// <summary>Each attempt's limit.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Retries after the first attempt, with exponential backoff and jitter.</summary>
    public int Retries { get; set; } = 3;

    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The breaker opens when half the calls of the sampling window (at least this many) failed, for <see cref="BreakFor"/>.</summary>
    public int BreakerMinimumCalls { get; set; } = 5;

    public TimeSpan BreakFor { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// With the API unreachable (retries spent, or the breaker open): true, the lead waits in Kafka and is tried again;
    /// false, it goes on without availability, which the emergency stop treats as a risk (a person checks).
    /// </summary>
    public bool WaitWhenUnavailable { get; set; }
}

/// <summary>The availability API could not be asked (after retries, or the breaker is open).</summary>
public sealed class AvailabilityUnavailableException(string reason, Exception? inner = null) : Exception(reason, inner);

/// <summary>
/// Step 6's outside call: each product's availability from the configured API through a standard resilience pipeline
/// (per-attempt timeout, retries with backoff, circuit breaker), or from the catalog when no API is configured.
/// </summary>
public sealed class AvailabilityService(IHttpClientFactory http, Microsoft.Extensions.Options.IOptions<AvailabilityOptions> options)
{
    public const string HttpClientName = "availability";

    public AvailabilityOptions Options => options.Value;

    public async Task<IReadOnlyList<ProductAvailability>> CheckAsync(TenantProfile tenant, IReadOnlyList<string> products, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(options.Value.Url)) return products.Select(p => FromCatalog(tenant, p)).ToList();
        var client = http.CreateClient(HttpClientName);
        var answers = new List<ProductAvailability>(products.Count);
        foreach (var product in products)
        {
            var url = $"{options.Value.Url}?tenant={Uri.EscapeDataString(tenant.TenantId)}&product={Uri.EscapeDataString(product)}";
            try
            {
                var answer = await client.GetFromJsonAsync<Answer>(url, cancellationToken)
                             ?? throw new AvailabilityUnavailableException($"the availability API answered nothing for '{product}'");
                answers.Add(new ProductAvailability(product, answer.Available, answer.InStock, answer.DeliveryEstimate));
            }
            catch (Exception ex) when (ex is HttpRequestException or BrokenCircuitException or TimeoutRejectedException or System.Text.Json.JsonException or TaskCanceledException
                                           && !cancellationToken.IsCancellationRequested)
            {
                var why = ex is BrokenCircuitException ? "the circuit to the availability API is open (it failed repeatedly)" : $"the availability API failed: {ex.Message}";
                throw new AvailabilityUnavailableException(why, ex);
            }
        }
        return answers;
    }

    /// <summary>The embedded default: a catalog entry is available; stock and delivery follow from its name (the same every time).</summary>
    internal static ProductAvailability FromCatalog(TenantProfile tenant, string product)
    {
        var item = tenant.Catalog.FirstOrDefault(c => string.Equals(c.Name, product, StringComparison.OrdinalIgnoreCase));
        if (item is null) return new ProductAvailability(product, false, 0, null);
        var stock = 1 + Fnv(item.Name) % 9;
        return new ProductAvailability(item.Name, true, stock, string.Create(CultureInfo.InvariantCulture, $"{2 + stock % 4}–{5 + stock % 4} working days"));
    }

    private static int Fnv(string text)
    {
        unchecked
        {
            var hash = (int)2166136261;
            foreach (var c in text) hash = (hash ^ c) * 16777619;
            return hash & int.MaxValue;
        }
    }

    private sealed record Answer(bool Available, int? InStock, string? DeliveryEstimate);

    /// <summary>The named HTTP client with the standard resilience pipeline, configured from <see cref="AvailabilityOptions"/>.</summary>
    public static IServiceCollection AddAvailabilityService(IServiceCollection services)
    {
        services.AddOptions<AvailabilityOptions>().BindConfiguration(AvailabilityOptions.Section);
        services.AddHttpClient(HttpClientName)
            .AddResilienceHandler("availability", (pipeline, context) =>
            {
                var o = context.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<AvailabilityOptions>>().Value;
                pipeline
                    .AddTimeout(o.Timeout * (o.Retries + 2)) // the whole call, backoffs included
                    .AddRetry(new HttpRetryStrategyOptions { MaxRetryAttempts = Math.Max(0, o.Retries), Delay = o.RetryDelay, BackoffType = Polly.DelayBackoffType.Exponential, UseJitter = true })
                    .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                    {
                        FailureRatio = 0.5, MinimumThroughput = Math.Max(2, o.BreakerMinimumCalls), SamplingDuration = TimeSpan.FromSeconds(30), BreakDuration = o.BreakFor,
                    })
                    .AddTimeout(o.Timeout); // each attempt
            });
        services.AddSingleton<AvailabilityService>();
        return services;
    }
}
