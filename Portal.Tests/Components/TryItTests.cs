using Bunit;
using Grains.Tenants;
using Portal.Components.Policy;

namespace Portal.Tests.Components;

public sealed class TryItTests : MudTestContext
{
    [Fact]
    public void It_shows_every_verdict_and_the_redacted_text()
    {
        var cut = Render<TryIt>(p => p.Add(c => c.Tenant, DemoTenants.StuttgartMotors));
        cut.Find("[data-testid=try-text] textarea, textarea").Input("Can I book a test drive? Mail me at jo@example.com");
        cut.Find("[data-testid=try-run]").Click();
        Assert.Contains("Rewrite", cut.Find("[data-testid=try-decision]").TextContent);
        Assert.Contains("pii.redacted", cut.Find("[data-testid=try-verdicts]").TextContent);
        Assert.Contains("[email removed]", cut.Find("[data-testid=try-rewritten]").TextContent);
    }
}
