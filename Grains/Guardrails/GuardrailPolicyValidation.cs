using System.Text.Json;
using Streaming.Kafka.Events;

namespace Grains.Guardrails;

/// <summary>A problem with one field of a policy, named by its JSON path.</summary>
[GenerateSerializer, Immutable]
public sealed record PolicyFieldError([property: Id(0)] string Field, [property: Id(1)] string Message);

/// <summary>Reads policies from JSON and checks them field by field, so an admin sees every mistake at once.</summary>
public static class GuardrailPolicyValidation
{
    public const int MaxExamplesPerTopic = 500;

    private static readonly JsonSerializerOptions Indented = new(CloudEventJson.Options) { WriteIndented = true };

    // A field the policy doesn't have is a mistake to show (an old "toxicityReviewAbove"), not something to drop silently.
    private static readonly JsonSerializerOptions Strict = new(CloudEventJson.Options) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };

    public static string ToJson(GuardrailPolicy policy) => JsonSerializer.Serialize(policy, Indented);

    /// <summary>
    /// What a tier may change: free tenants keep the platform's safety thresholds; pro tenants may only
    /// make them stricter; enterprise tenants set their own.
    /// </summary>
    public static IReadOnlyList<PolicyFieldError> ValidateForTier(GuardrailPolicy policy, Pipeline.Tier tier)
    {
        var errors = Validate(policy).ToList();
        var platform = new GuardrailPolicy();
        if (tier == Pipeline.Tier.Free && Math.Abs(policy.InjectionBlockAbove - platform.InjectionBlockAbove) > 1e-9)
            errors.Add(new("injectionBlockAbove", $"the free tier uses the platform's threshold ({platform.InjectionBlockAbove:0.##}); pro tenants may tighten it, enterprise tenants set their own"));
        else if (tier == Pipeline.Tier.Pro && policy.InjectionBlockAbove > platform.InjectionBlockAbove + 1e-9)
            errors.Add(new("injectionBlockAbove", $"the pro tier may only make this stricter (at most {platform.InjectionBlockAbove:0.##}); enterprise tenants may relax it"));
        foreach (var (category, standard) in GuardrailPolicy.PlatformSafety)
        {
            var rule = policy.SafetyRuleFor(category);
            var field = $"safety.{category}";
            var looser = rule.Action < standard.Action || rule.Threshold > standard.Threshold + 1e-9;
            if (category == Safety.SafetyCategories.SexualMinors && looser)
                errors.Add(new(field, $"no tier may relax this category: it is always refused from {standard.Threshold:0.##}"));
            else if (tier == Pipeline.Tier.Free && (rule.Action != standard.Action || Math.Abs(rule.Threshold - standard.Threshold) > 1e-9))
                errors.Add(new(field, $"the free tier uses the platform's rule ({Describe(standard)}); pro tenants may tighten it, enterprise tenants set their own"));
            else if (tier == Pipeline.Tier.Pro && looser)
                errors.Add(new(field, $"the pro tier may only make this stricter than the platform's rule ({Describe(standard)}); enterprise tenants may relax it"));
        }
        return errors;
    }

    private static string Describe(SafetyRule rule) => $"{rule.Action.ToString().ToLowerInvariant()} from {rule.Threshold:0.##}";

    public static (GuardrailPolicy? Policy, IReadOnlyList<PolicyFieldError> Errors) Parse(string json)
    {
        GuardrailPolicy? policy;
        try
        {
            policy = JsonSerializer.Deserialize<GuardrailPolicy>(json, Strict);
        }
        catch (JsonException ex)
        {
            return (null, [new PolicyFieldError(ex.Path is { Length: > 0 } path ? path : "$", "not valid JSON here: " + ex.Message.Split(" Path:")[0])]);
        }
        if (policy is null) return (null, [new PolicyFieldError("$", "the policy is empty")]);
        var errors = Validate(policy);
        return (errors.Count == 0 ? policy : null, errors);
    }

    public static IReadOnlyList<PolicyFieldError> Validate(GuardrailPolicy policy)
    {
        var errors = new List<PolicyFieldError>();
        void Fraction(string field, double value)
        {
            if (value is < 0 or > 1 || double.IsNaN(value)) errors.Add(new(field, $"must be between 0 and 1 (is {value})"));
        }
        Fraction("onTopicThreshold", policy.OnTopicThreshold);
        Fraction("injectionBlockAbove", policy.InjectionBlockAbove);
        if (policy.TopicNeighbours is < 1 or > 20) errors.Add(new("topicNeighbours", $"must be between 1 and 20 (is {policy.TopicNeighbours})"));
        if (policy.WhenClassifiersUnavailable == SafetyAction.Allow)
            errors.Add(new("whenClassifiersUnavailable", "must be hold or block: a message the classifiers could not judge is never let through"));
        if (policy.Safety is null) errors.Add(new("safety", "must list the safety rules (or be left out for the platform's)"));
        else
            foreach (var (category, rule) in policy.Safety)
            {
                if (!Safety.SafetyCategories.All.Contains(category))
                    errors.Add(new($"safety.{category}", $"is not a safety category (known: {string.Join(", ", Safety.SafetyCategories.All)})"));
                else if (rule is null) errors.Add(new($"safety.{category}", "needs an action and a threshold"));
                else if (rule.Threshold is <= 0 or > 1 || double.IsNaN(rule.Threshold))
                    errors.Add(new($"safety.{category}", $"threshold must be above 0 and at most 1 (is {rule.Threshold})"));
            }
        if (policy.MaxDiscountPercent is < 0 or > 100) errors.Add(new("maxDiscountPercent", "must be between 0 and 100"));
        if (policy.MaxDiscountAmount < 0) errors.Add(new("maxDiscountAmount", "must not be negative"));
        CheckTopics("allowedTopics", policy.AllowedTopics);
        CheckTopics("blockedTopics", policy.BlockedTopics);
        foreach (var (name, i) in policy.BrandTerms.Select((t, i) => (t, i)))
            if (string.IsNullOrWhiteSpace(name)) errors.Add(new($"brandTerms[{i}]", "must not be empty"));
        return errors;

        void CheckTopics(string field, IReadOnlyDictionary<string, IReadOnlyList<string>> topics)
        {
            foreach (var (name, examples) in topics)
            {
                if (string.IsNullOrWhiteSpace(name)) errors.Add(new(field, "a topic needs a name"));
                if (examples is null || examples.Count == 0) errors.Add(new($"{field}.{name}", "needs at least one example utterance"));
                else if (examples.Count > MaxExamplesPerTopic) errors.Add(new($"{field}.{name}", $"has {examples.Count} examples; at most {MaxExamplesPerTopic}"));
                else
                    for (var i = 0; i < examples.Count; i++)
                        if (string.IsNullOrWhiteSpace(examples[i])) errors.Add(new($"{field}.{name}[{i}]", "is empty"));
            }
        }
    }
}
