using System.Net;
using Grains.Marketing;
using Grains.Tenants;
using Grains.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Grains.Tests.Marketing;

/// <summary>Step 6's outside call against a real HTTP server on loopback: answers, retries with backoff, the breaker.</summary>
public sealed class AvailabilityTests
{
    private static readonly TenantProfile Dealer = DemoTenants.All.Single(t => t.TenantId == "stuttgart-motors");

    private static AvailabilityService Service(string? url, int retries = 2, int breakerCalls = 4)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Marketing:Availability:Url"] = url,
            ["Marketing:Availability:Retries"] = retries.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Marketing:Availability:RetryDelay"] = "00:00:00.010",
            // Generous per attempt (the loopback API answers at once): on a loaded machine 2 s once ran out before the
            // first answer came back, and the retries under test never ran.
            ["Marketing:Availability:Timeout"] = "00:00:10",
            ["Marketing:Availability:BreakerMinimumCalls"] = breakerCalls.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Marketing:Availability:BreakFor"] = "00:01:00",
        }).Build());
        AvailabilityService.AddAvailabilityService(services);
        return services.BuildServiceProvider().GetRequiredService<AvailabilityService>();
    }

    [Fact]
    public async Task The_configured_API_answers_each_product()
    {
        using var api = new LoopbackAvailabilityApi();
        var answers = await Service(api.Url).CheckAsync(Dealer, ["EQS", "Sold Out"]);
        Assert.Equal([("EQS", true, 4), ("Sold Out", false, 4)], answers.Select(a => (a.Product, a.Available, a.InStock ?? 0)));
        Assert.Equal(2, api.Calls);
    }

    [Fact]
    public async Task A_failing_API_is_retried_with_backoff_then_reported_and_the_breaker_stops_the_calls()
    {
        using var api = new LoopbackAvailabilityApi { Status = HttpStatusCode.ServiceUnavailable };
        var service = Service(api.Url, retries: 2, breakerCalls: 4);

        var first = await Assert.ThrowsAsync<AvailabilityUnavailableException>(() => service.CheckAsync(Dealer, ["EQS"]));
        Assert.Contains("failed", first.Message);
        Assert.Equal(3, api.Calls); // the attempt and two retries

        // Failures go on until the breaker opens; after that no call reaches the API.
        AvailabilityUnavailableException? open = null;
        for (var i = 0; i < 5 && open is null; i++)
        {
            var ex = await Assert.ThrowsAsync<AvailabilityUnavailableException>(() => service.CheckAsync(Dealer, ["EQS"]));
            if (ex.Message.Contains("circuit", StringComparison.Ordinal)) open = ex;
        }
        Assert.NotNull(open);
        var calls = api.Calls;
        await Assert.ThrowsAsync<AvailabilityUnavailableException>(() => service.CheckAsync(Dealer, ["EQS"]));
        Assert.Equal(calls, api.Calls);
    }

    [Fact]
    public async Task Without_a_URL_the_catalog_answers_the_same_every_time_and_nothing_leaves_the_machine()
    {
        var service = Service(url: null);
        var once = await service.CheckAsync(Dealer, ["Mercedes-Benz EQS", "Flying Car"]);
        Assert.Equal(once, await service.CheckAsync(Dealer, ["Mercedes-Benz EQS", "Flying Car"]));
        Assert.True(once[0].Available);
        Assert.InRange(once[0].InStock ?? 0, 1, 9);
        Assert.False(once[1].Available); // not in the catalog: never promised
    }
}
