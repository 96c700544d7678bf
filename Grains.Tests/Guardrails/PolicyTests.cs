using Grains.Guardrails;
using Grains.Tenants;

namespace Grains.Tests.Guardrails;

public sealed class PolicyTests
{
    [Fact]
    public void A_policy_round_trips_through_json()
    {
        var json = GuardrailPolicyValidation.ToJson(DemoTenants.StuttgartMotors.Policy);
        var (policy, errors) = GuardrailPolicyValidation.Parse(json);
        Assert.Empty(errors);
        Assert.Equal(DemoTenants.StuttgartMotors.Policy.AllowedTopics["electric"], policy!.AllowedTopics["electric"]);
        Assert.Equal(5, policy.MaxDiscountPercent);
        Assert.Contains("\"customerPii\": \"redact\"", json);
    }

    [Fact]
    public void An_invalid_policy_is_rejected_with_every_field_named()
    {
        const string json = """
            { "toxicityReviewAbove": 0.95, "toxicityBlockAbove": 0.9, "maxDiscountPercent": 150,
              "allowedTopics": { "cars": [], "service": ["book a service", " "] } }
            """;
        var (policy, errors) = GuardrailPolicyValidation.Parse(json);
        Assert.Null(policy);
        Assert.Equal(["toxicityReviewAbove", "maxDiscountPercent", "allowedTopics.cars", "allowedTopics.service[1]"], errors.Select(e => e.Field));
    }

    [Fact]
    public void Malformed_json_says_where()
    {
        var (policy, errors) = GuardrailPolicyValidation.Parse("""{ "maxDiscountPercent": "lots" }""");
        Assert.Null(policy);
        Assert.Equal("$.maxDiscountPercent", Assert.Single(errors).Field);
    }
}
