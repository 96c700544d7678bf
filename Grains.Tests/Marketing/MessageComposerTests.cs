using Grains.Guardrails;
using Grains.Marketing;
using Grains.Pipeline;
using Grains.Tenants;

namespace Grains.Tests.Marketing;

/// <summary>Steps 5, 7 and 8 on their own: the KPIs of a pitch, the combined message, and what makes it risky.</summary>
public sealed class MessageComposerTests
{
    private static readonly TenantProfile Dealer = DemoTenants.All.Single(t => t.TenantId == "stuttgart-motors");

    private static Lead Lead(string pitch) => new()
    {
        LeadId = "l1", TenantId = Dealer.TenantId, Tier = Tier.Enterprise, Name = "Erika", Email = "erika@example.com", Company = "Acme",
        Interest = "an electric car for our sales team", Pitch = pitch,
    };

    [Fact]
    public void The_KPIs_name_the_products_the_discount_and_score_the_lead()
    {
        var (kpis, products) = LeadKpiAnalyzer.Analyze(Lead("Dear Erika, the Mercedes-Benz EQS is a great electric sedan. We can give you 25% off. Kind regards."), Dealer);
        Assert.Equal(["Mercedes-Benz EQS"], products);
        Assert.Equal(25m, kpis.DiscountPercent);
        Assert.True(kpis.Sentiment > 0);
        Assert.InRange(kpis.LeadScore, 60, 100); // enterprise, a company, a product named
        Assert.InRange(kpis.ReadingEase, -50, 120);

        var (plain, none) = LeadKpiAnalyzer.Analyze(Lead("Sorry, nothing."), Dealer with { });
        Assert.Empty(none);
        Assert.Null(plain.DiscountPercent);
        Assert.True(plain.Sentiment < 0);
    }

    [Fact]
    public void The_message_puts_availability_before_the_sign_off()
    {
        var lead = Lead("Dear Erika,\n\nthe EQS is ready for you.\n\nKind regards,\nStuttgart Motors") with
        {
            Availability = [new ProductAvailability("Mercedes-Benz EQS", true, 3, "3–6 working days"), new ProductAvailability("Flying Car", false, 0, null)],
        };
        var message = MessageComposer.Compose(lead);
        Assert.Equal("Dear Erika,\n\nthe EQS is ready for you.\n\nAvailability today:\n- Mercedes-Benz EQS: in stock (3), delivery in 3–6 working days\n\nKind regards,\nStuttgart Motors", message);
    }

    [Fact]
    public void Each_risk_is_named_and_a_clean_message_has_none()
    {
        var policy = Dealer.Policy;
        var clean = Lead("fine") with
        {
            Kpis = new LeadKpis(10, 60, 0.5, 70, null), Verdict = new Verdict("brand-filter", VerdictDecision.Allow, "none", "", ""),
            Availability = [new ProductAvailability("Mercedes-Benz EQS", true, 2, null)],
        };
        Assert.Empty(MessageComposer.Risks(clean, policy, hardStop: false));

        var risky = clean with
        {
            Kpis = clean.Kpis! with { DiscountPercent = 25 },
            Availability = [new ProductAvailability("Mercedes-AMG GT", false, 0, null)],
            Verdict = new Verdict("brand-filter", VerdictDecision.Block, "brand.competitor", "names BMW", ""),
        };
        var risks = MessageComposer.Risks(risky, policy, hardStop: true);
        Assert.Equal(4, risks.Count);
        Assert.StartsWith("hard stop", risks[0]);
        Assert.StartsWith("discount: the pitch promises 25% (the limit is 5%)", risks[1]);
        Assert.StartsWith("unavailable: the pitch promises the Mercedes-AMG GT", risks[2]);
        Assert.StartsWith("guardrail: brand-filter block by brand.competitor", risks[3]);
        Assert.Contains("availability unknown", MessageComposer.Risks(clean with { AvailabilityMissing = "the circuit is open" }, policy, false).Single());
    }
}
