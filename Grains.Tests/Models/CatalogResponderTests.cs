using Grains.Pipeline;
using Grains.Guardrails.Embeddings;
using Grains.Models;
using Grains.Tenants;
using Grains.Tests.Infrastructure;
using Microsoft.Extensions.AI;

namespace Grains.Tests.Models;

/// <summary>
/// The offline demo model answers the question asked, from the catalog entries it is about, says when the catalog
/// has nothing on it, and still slips on competitors for the output guardrail to catch.
/// </summary>
public sealed class CatalogResponderTests
{
    private static readonly CatalogResponder Model = new(TestGuardrails.Chains.Embedder);

    private static async Task<string> AskAsync(TenantProfile tenant, string question, IChatClient? model = null) =>
        (await (model ?? Model).GetResponseAsync(PromptBuilder.For(tenant, question))).Text;

    [Theory]
    [InlineData("What does the C-Class cost?", "C-Class", "€48,900", "GLC")]
    [InlineData("How much is the C Class?", "C-Class", "€48,900", "GLC")]
    [InlineData("Tell me about the AMG GT", "AMG GT", "585 hp", "EQS")]
    [InlineData("Do you have an SUV?", "GLC", "family SUV", "C-Class")]
    [InlineData("Which car has the biggest boot?", "GLC", "large boot", "EQS")]
    [InlineData("Which electric car do you have?", "EQS", "780 km", "GLC")]
    [InlineData("My car needs a service", "Service plan", "€29", "C-Class")]
    public async Task A_question_is_answered_from_the_entry_it_is_about(string question, string entry, string fact, string notThis)
    {
        var answer = await AskAsync(DemoTenants.StuttgartMotors, question);
        Assert.Contains(entry, answer);
        Assert.Contains(fact, answer);
        Assert.DoesNotContain(notThis, answer);
    }

    [Fact]
    public async Task Meaning_decides_between_entries_that_share_the_words_of_the_question()
    {
        var commuting = await AskAsync(DemoTenants.VeloCorner, "Which bike is good for commuting?");
        Assert.Contains("Urban Commuter 3", commuting);
        Assert.DoesNotContain("Gravel", commuting);

        var ebike = await AskAsync(DemoTenants.VeloCorner, "How much is the e-bike?");
        Assert.Contains("E-Trek 500 costs €2,890", ebike);
        Assert.DoesNotContain("Urban", ebike);
    }

    [Fact]
    public async Task Asked_for_the_range_it_lists_the_entries_that_fit()
    {
        var models = await AskAsync(DemoTenants.StuttgartMotors, "What models do you have?");
        foreach (var name in new[] { "C-Class", "GLC", "EQS", "AMG GT" }) Assert.Contains(name, models);

        var bikes = await AskAsync(DemoTenants.VeloCorner, "What bikes do you have?");
        Assert.Contains("Urban Commuter 3", bikes);
        Assert.Contains("Gravel Pro 2", bikes);
    }

    [Theory]
    [InlineData("Do you sell motorbikes?")]
    [InlineData("When is the showroom open?")]
    public async Task A_question_the_catalog_has_nothing_on_is_answered_as_such(string question)
    {
        var answer = await AskAsync(DemoTenants.StuttgartMotors, question);
        Assert.Contains("our catalog has nothing on that", answer);
        Assert.Contains("We offer the Mercedes-Benz C-Class", answer); // and what it does have
    }

    [Fact]
    public async Task An_entry_without_a_price_is_never_said_to_cost_something_or_nothing()
    {
        var visa = await AskAsync(DemoTenants.HarborBank, "How much does the Harbor Visa cost?");
        Assert.Contains("Harbor Visa", visa);
        Assert.Contains("no price for it in my catalog", visa);
        Assert.DoesNotContain("$", visa);
        Assert.DoesNotContain("free of charge", await AskAsync(DemoTenants.HarborBank, "Can I get a mortgage?"));
    }

    [Fact]
    public async Task A_booking_is_not_answered_with_whatever_shares_a_word()
    {
        var answer = await AskAsync(DemoTenants.StuttgartMotors, "Can I book a test drive?");
        Assert.Contains("can't make bookings from this chat", answer);
        Assert.DoesNotContain("I'd recommend", answer);
        Assert.Contains("arrange that for the Mercedes-Benz EQS", await AskAsync(DemoTenants.StuttgartMotors, "Can I book a test drive of the EQS?"));
    }

    [Fact]
    public async Task Asked_about_a_competitor_it_slips_and_the_output_guardrail_catches_it()
    {
        var answer = await AskAsync(DemoTenants.StuttgartMotors, "Is a Porsche better than your cars?");
        Assert.Contains("you might like a Porsche instead", answer);
        var outcome = await TestGuardrails.Output.RunAsync(DemoTenants.StuttgartMotors, answer);
        Assert.Equal("brand.competitor-recommendation", outcome.Decision.Rule);
    }

    [Theory]
    [InlineData("stuttgart-motors", "What does the C-Class cost?")]
    [InlineData("stuttgart-motors", "What models do you have?")]
    [InlineData("harbor-bank", "What interest rate do you pay on savings?")]
    [InlineData("harbor-bank", "How do I open an account?")]
    [InlineData("velo-corner", "How far can the ebike go?")]
    [InlineData("velo-corner", "What products do you offer?")]
    public async Task Grounded_answers_pass_the_output_guardrails(string tenantId, string question)
    {
        var tenant = DemoTenants.Find(tenantId)!;
        var outcome = await TestGuardrails.Output.RunAsync(tenant, await AskAsync(tenant, question));
        Assert.Equal(VerdictDecision.Allow, outcome.Decision.Decision);
    }

    [Fact]
    public async Task Without_a_catalog_it_says_it_is_no_language_model_instead_of_a_stock_phrase()
    {
        var capital = await AskAsync(DemoTenants.OpenAssistant, "What is the capital of France?");
        Assert.Contains("without a language model", capital);
        Assert.DoesNotContain("Thanks for your message", capital);
        Assert.StartsWith("Hello!", await AskAsync(DemoTenants.OpenAssistant, "hi there"));
        Assert.StartsWith("You're welcome", await AskAsync(DemoTenants.StuttgartMotors, "thanks a lot!"));
    }

    [Fact]
    public async Task The_same_question_gets_the_same_answer_with_or_without_a_working_embedding_model_when_it_names_the_entry()
    {
        var broken = new CatalogResponder(new TextEmbedder(new FailingEmbeddings(), TimeSpan.FromSeconds(1), "broken"));
        var words = new CatalogResponder();
        const string Question = "What does the GLC cost?";
        var expected = await AskAsync(DemoTenants.StuttgartMotors, Question);
        Assert.Equal(expected, await AskAsync(DemoTenants.StuttgartMotors, Question));
        Assert.Equal(expected, await AskAsync(DemoTenants.StuttgartMotors, Question, broken));
        Assert.Equal(expected, await AskAsync(DemoTenants.StuttgartMotors, Question, words));
        // A question only meaning can place gets the honest "nothing" from a model whose embeddings fail, not an error.
        Assert.Contains("nothing on that", await AskAsync(DemoTenants.VeloCorner, "Do you sell helmets?", broken));
    }

    private sealed class FailingEmbeddings : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new HttpRequestException("embedding endpoint down");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }
}
