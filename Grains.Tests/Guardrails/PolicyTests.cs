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
            { "onTopicThreshold": 1.5, "maxDiscountPercent": 150, "safety": { "violence": { "action": "hold", "threshold": 0 }, "gossip": { "action": "block", "threshold": 0.5 } },
              "allowedTopics": { "cars": [], "service": ["book a service", " "] } }
            """;
        var (policy, errors) = GuardrailPolicyValidation.Parse(json);
        Assert.Null(policy);
        Assert.Equal(["onTopicThreshold", "safety.violence", "safety.gossip", "maxDiscountPercent", "allowedTopics.cars", "allowedTopics.service[1]"], errors.Select(e => e.Field));
    }

    [Fact]
    public void Malformed_json_says_where()
    {
        var (policy, errors) = GuardrailPolicyValidation.Parse("""{ "maxDiscountPercent": "lots" }""");
        Assert.Null(policy);
        Assert.Equal("$.maxDiscountPercent", Assert.Single(errors).Field);
    }
}

public sealed class PolicyTierAndCacheTests
{
    [Fact]
    public void Free_tenants_keep_platform_thresholds_pro_may_tighten_and_enterprise_may_relax()
    {
        static GuardrailPolicy With(params (string Category, SafetyRule Rule)[] rules)
        {
            var safety = new Dictionary<string, SafetyRule>(GuardrailPolicy.PlatformSafety);
            foreach (var (category, rule) in rules) safety[category] = rule;
            return new GuardrailPolicy { Safety = safety };
        }
        var relaxed = With(("violence", new SafetyRule(SafetyAction.Block, 0.95)), ("harassment", new SafetyRule(SafetyAction.Allow, 0.5)));
        var stricter = With(("violence", new SafetyRule(SafetyAction.Block, 0.3)), ("self-harm", new SafetyRule(SafetyAction.Block, 0.5)));

        Assert.Equal(["safety.violence", "safety.harassment"], GuardrailPolicyValidation.ValidateForTier(relaxed, Grains.Pipeline.Tier.Free).Select(e => e.Field));
        Assert.Equal(2, GuardrailPolicyValidation.ValidateForTier(stricter, Grains.Pipeline.Tier.Free).Count);
        Assert.Empty(GuardrailPolicyValidation.ValidateForTier(stricter, Grains.Pipeline.Tier.Pro));
        Assert.Equal(2, GuardrailPolicyValidation.ValidateForTier(relaxed, Grains.Pipeline.Tier.Pro).Count);
        Assert.Empty(GuardrailPolicyValidation.ValidateForTier(relaxed, Grains.Pipeline.Tier.Enterprise));
        // Nobody relaxes sexual content involving minors.
        var minors = With(("sexual-minors", new SafetyRule(SafetyAction.Hold, 0.3)));
        Assert.Equal("safety.sexual-minors", Assert.Single(GuardrailPolicyValidation.ValidateForTier(minors, Grains.Pipeline.Tier.Enterprise)).Field);
        // Everyone may change topics, brand terms and discount limits.
        Assert.Empty(GuardrailPolicyValidation.ValidateForTier(new GuardrailPolicy { MaxDiscountPercent = 25, Competitors = ["Rival"] }, Grains.Pipeline.Tier.Free));
    }

    [Fact]
    public void A_field_the_policy_does_not_have_is_named_not_ignored()
    {
        var (policy, errors) = GuardrailPolicyValidation.Parse("""{ "toxicityReviewAbove": 0.7 }""");
        Assert.Null(policy);
        Assert.Contains("toxicityReviewAbove", Assert.Single(errors).Message);
    }
}
