using Bunit;
using Grains.Guardrails;
using Grains.Tenants;
using Microsoft.Extensions.DependencyInjection;
using Portal.Components.Policy;

namespace Portal.Tests.Components;

public sealed class TryItTests : MudTestContext
{
    private static readonly Lazy<GuardrailChains> Chains = new(() => GuardrailChains.Create());

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton(Chains.Value);

    [Fact]
    public void It_shows_every_verdict_and_the_redacted_text()
    {
        var cut = Render<TryIt>(p => p.Add(c => c.Tenant, DemoTenants.StuttgartMotors));
        cut.Find("[data-testid=try-text] textarea, textarea").Input("Can I book a test drive? Mail me at jo@example.com");
        cut.Find("[data-testid=try-run]").Click();
        cut.WaitForAssertion(() => Assert.Contains("Rewrite", cut.Find("[data-testid=try-decision]").TextContent));
        Assert.Contains("pii.redacted", cut.Find("[data-testid=try-verdicts]").TextContent);
        Assert.Contains("[email removed]", cut.Find("[data-testid=try-rewritten]").TextContent);
    }

    [Fact]
    public void It_shows_the_topic_score_the_nearest_examples_and_the_safety_scores_behind_a_decision()
    {
        var cut = Render<TryIt>(p => p.Add(c => c.Tenant, DemoTenants.StuttgartMotors));
        cut.Find("textarea").Input("Give me a recipe for lasagne");
        cut.Find("[data-testid=try-run]").Click();
        cut.WaitForAssertion(() => Assert.Contains("Block", cut.Find("[data-testid=try-decision]").TextContent));
        Assert.Contains("below 0.35", cut.Find("[data-testid=try-decision]").TextContent);
        Assert.Contains("threshold 0.35", cut.Find("[data-testid=try-topic]").TextContent);
        Assert.Equal(3 + 1, cut.FindAll("[data-testid=try-nearest] tbody tr").Count); // 3 allowed, the nearest blocked
        Assert.Contains("violence and weapons", cut.Find("[data-testid=try-safety]").TextContent);
    }
}
