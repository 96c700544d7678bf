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

public sealed class PolicyTierAndCacheTests
{
    [Fact]
    public void Free_tenants_keep_platform_thresholds_pro_may_tighten_and_enterprise_may_relax()
    {
        var relaxed = new GuardrailPolicy { ToxicityReviewAbove = 0.8, ToxicityBlockAbove = 0.95 };
        var stricter = new GuardrailPolicy { ToxicityReviewAbove = 0.5 };

        Assert.Equal(["toxicityReviewAbove", "toxicityBlockAbove"], GuardrailPolicyValidation.ValidateForTier(relaxed, Grains.Pipeline.Tier.Free).Select(e => e.Field));
        Assert.Single(GuardrailPolicyValidation.ValidateForTier(stricter, Grains.Pipeline.Tier.Free));
        Assert.Empty(GuardrailPolicyValidation.ValidateForTier(stricter, Grains.Pipeline.Tier.Pro));
        Assert.Equal(2, GuardrailPolicyValidation.ValidateForTier(relaxed, Grains.Pipeline.Tier.Pro).Count);
        Assert.Empty(GuardrailPolicyValidation.ValidateForTier(relaxed, Grains.Pipeline.Tier.Enterprise));
        // Everyone may change topics, brand terms and discount limits.
        Assert.Empty(GuardrailPolicyValidation.ValidateForTier(new GuardrailPolicy { MaxDiscountPercent = 25, Competitors = ["Rival"] }, Grains.Pipeline.Tier.Free));
    }

    [Fact]
    public void Copies_of_a_policy_share_one_classifier_and_a_changed_example_gets_its_own()
    {
        var policy = DemoTenants.StuttgartMotors.Policy;
        var copy = policy with { AllowedTopics = policy.AllowedTopics.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value.ToList()) };
        Assert.Same(TopicClassifier.For(policy), TopicClassifier.For(copy));

        var changed = policy with { AllowedTopics = new Dictionary<string, IReadOnlyList<string>>(policy.AllowedTopics) { ["boats"] = ["do you sell boats"] } };
        Assert.NotSame(TopicClassifier.For(policy), TopicClassifier.For(changed));
        Assert.Equal("boats", TopicClassifier.For(changed).Classify("which boats do you sell").Allowed);
    }
}
