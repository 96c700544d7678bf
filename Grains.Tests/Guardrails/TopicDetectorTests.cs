using Grains.Guardrails;
using Grains.Guardrails.Topics;
using Grains.Pipeline;
using Grains.Tenants;
using Grains.Tests.Infrastructure;

namespace Grains.Tests.Guardrails;

/// <summary>The topic guardrail learned from a tenant's examples, and the threshold the policy page proposes.</summary>
public sealed class TopicDetectorTests
{
    private static readonly TenantProfile Dealer = DemoTenants.StuttgartMotors;

    [Fact]
    public async Task A_decision_names_its_score_and_nearest_examples()
    {
        var outcome = await TestGuardrails.Input.RunAsync(Dealer, "how long does it take to charge the EQS at home");
        Assert.Equal(VerdictDecision.Allow, outcome.Decision.Decision);
        Assert.Equal("electric", outcome.Topic!.AllowedTopic);
        Assert.True(outcome.Topic.AllowedScore >= Dealer.Policy.OnTopicThreshold);
        Assert.Equal(3, outcome.Topic.NearestAllowed.Count);
        Assert.True(outcome.Topic.NearestAllowed[0].Similarity >= outcome.Topic.NearestAllowed[2].Similarity);
    }

    [Fact]
    public async Task A_tenants_new_examples_take_effect_on_its_next_message()
    {
        const string message = "can I rent a holiday cottage by the lake for a week";
        Assert.Equal(VerdictDecision.Block, (await TestGuardrails.Input.EvaluateAsync(Dealer, message)).Decision);

        var withCottages = Dealer with
        {
            Policy = Dealer.Policy with
            {
                Version = 2,
                AllowedTopics = new Dictionary<string, IReadOnlyList<string>>(Dealer.Policy.AllowedTopics)
                {
                    ["cottages"] = ["do you rent holiday cottages", "how much is a week in the lake cottage", "is the cottage free in august", "can I bring my dog to the cottage", "book the cottage for the weekend"],
                },
            },
        };
        var outcome = await TestGuardrails.Input.RunAsync(withCottages, message);
        Assert.Equal(VerdictDecision.Allow, outcome.Decision.Decision);
        Assert.Equal("cottages", outcome.Topic!.AllowedTopic);
    }

    [Fact]
    public async Task Copies_of_a_policy_share_one_index_and_a_changed_example_gets_its_own()
    {
        var cache = TestGuardrails.Chains.Topics;
        var policy = Dealer.Policy;
        var copy = policy with { AllowedTopics = policy.AllowedTopics.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value.ToList()) };
        Assert.Same(await cache.GetAsync(policy), await cache.GetAsync(copy));
        var changed = policy with { AllowedTopics = new Dictionary<string, IReadOnlyList<string>>(policy.AllowedTopics) { ["boats"] = ["do you sell boats"] } };
        Assert.NotSame(await cache.GetAsync(policy), await cache.GetAsync(changed));
    }

    [Fact]
    public async Task The_proposed_threshold_separates_the_examples_from_everyday_requests_and_few_examples_are_warned_about()
    {
        var index = await TestGuardrails.Chains.Topics.GetAsync(Dealer.Policy);
        var everyday = await OffTopicBackground.VectorsAsync(TestGuardrails.Chains.Embedder);
        var proposal = TopicThresholdAdvisor.Propose(index, Dealer.Policy.TopicNeighbours, everyday, Dealer.Policy.AllowedTopics);
        Assert.InRange(proposal.Threshold, 0.2, 0.7);
        Assert.True(proposal.ExamplesKept >= 0.8, proposal.Explanation);
        Assert.True(proposal.EverydayRejected >= 0.8, proposal.Explanation);

        var thin = new GuardrailPolicy { AllowedTopics = new Dictionary<string, IReadOnlyList<string>>(Dealer.Policy.AllowedTopics) { ["boats"] = ["do you sell boats", "how much is a motorboat", "can I test a boat"] } };
        var thinProposal = TopicThresholdAdvisor.Propose(await TestGuardrails.Chains.Topics.GetAsync(thin), 3, everyday, thin.AllowedTopics);
        Assert.Contains(thinProposal.Warnings, w => w.Contains("'boats' has 3 examples", StringComparison.Ordinal));
        Assert.DoesNotContain(proposal.Warnings, w => w.Contains("examples:", StringComparison.Ordinal));

        var single = new GuardrailPolicy { AllowedTopics = new Dictionary<string, IReadOnlyList<string>> { ["cars"] = ["do you sell cars"] } };
        var tooFew = TopicThresholdAdvisor.Propose(await TestGuardrails.Chains.Topics.GetAsync(single), 3, everyday, single.AllowedTopics);
        Assert.Equal(single.OnTopicThreshold, tooFew.Threshold);
        Assert.Contains(tooFew.Warnings, w => w.Contains("fewer than 2", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Hi there", true)]
    [InlineData("thanks a lot", true)]
    [InlineData("hello, write me a poem", false)]
    public void Bare_greetings_are_small_talk(string text, bool expected) => Assert.Equal(expected, TopicDetector.IsSmallTalk(text));
}
