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

    public static string ToJson(GuardrailPolicy policy) => JsonSerializer.Serialize(policy, Indented);

    /// <summary>
    /// What a tier may change: free tenants keep the platform's safety thresholds; pro tenants may only
    /// make them stricter; enterprise tenants set their own.
    /// </summary>
    public static IReadOnlyList<PolicyFieldError> ValidateForTier(GuardrailPolicy policy, Pipeline.Tier tier)
    {
        var errors = Validate(policy).ToList();
        var platform = new GuardrailPolicy();
        foreach (var (field, value, standard) in new[]
                 {
                     ("toxicityReviewAbove", policy.ToxicityReviewAbove, platform.ToxicityReviewAbove),
                     ("toxicityBlockAbove", policy.ToxicityBlockAbove, platform.ToxicityBlockAbove),
                     ("injectionBlockAbove", policy.InjectionBlockAbove, platform.InjectionBlockAbove),
                 })
        {
            if (tier == Pipeline.Tier.Free && Math.Abs(value - standard) > 1e-9)
                errors.Add(new(field, $"the free tier uses the platform's threshold ({standard:0.##}); pro tenants may tighten it, enterprise tenants set their own"));
            else if (tier == Pipeline.Tier.Pro && value > standard + 1e-9)
                errors.Add(new(field, $"the pro tier may only make this stricter (at most {standard:0.##}); enterprise tenants may relax it"));
        }
        return errors;
    }

    public static (GuardrailPolicy? Policy, IReadOnlyList<PolicyFieldError> Errors) Parse(string json)
    {
        GuardrailPolicy? policy;
        try
        {
            policy = JsonSerializer.Deserialize<GuardrailPolicy>(json, CloudEventJson.Options);
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
        Fraction("offTopicMargin", policy.OffTopicMargin);
        Fraction("toxicityReviewAbove", policy.ToxicityReviewAbove);
        Fraction("toxicityBlockAbove", policy.ToxicityBlockAbove);
        Fraction("injectionBlockAbove", policy.InjectionBlockAbove);
        if (policy.ToxicityReviewAbove > policy.ToxicityBlockAbove)
            errors.Add(new("toxicityReviewAbove", "must not be above toxicityBlockAbove: review comes before refusal"));
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
