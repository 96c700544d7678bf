using Grains.Models;
using Grains.Tenants;
using Grains.Tests.Infrastructure;

namespace Grains.Tests.Models;

/// <summary>The model is chosen by configuration; each choice is exercised through its real client.</summary>
public sealed class ModelOptionsTests
{
    [Fact]
    public async Task The_openai_provider_talks_to_any_openai_compatible_endpoint_with_the_catalog_prompt()
    {
        using var server = new LoopbackChatServer("local-llm", "The EQS has the longest range.");
        var options = new ModelOptions { Provider = "openai", Endpoint = server.Endpoint, Model = "local-llm", ApiKey = "sk-test" };
        using var client = options.CreateClient();
        var response = await client.GetResponseAsync(PromptBuilder.For(DemoTenants.StuttgartMotors, "Which car goes furthest?"));

        Assert.Equal("The EQS has the longest range.", response.Text);
        var request = await server.Request;
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal("Bearer sk-test", request.Auth);
        Assert.Contains("\"model\":\"local-llm\"", request.Body);
        Assert.Contains("Mercedes-Benz EQS", request.Body);       // grounded in the tenant's catalog
        Assert.Contains("Which car goes furthest?", request.Body);
        Assert.Equal("openai:local-llm", options.DisplayName);
    }

    [Fact]
    public void A_provider_without_its_endpoint_says_which_setting_is_missing()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ModelOptions { Provider = "ollama", Model = "llama3.2" }.CreateClient());
        Assert.Equal("Model:Endpoint is required for this model provider.", error.Message);
        Assert.Throws<InvalidOperationException>(() => new ModelOptions { Provider = "gpt" }.CreateClient());
    }

    [Fact]
    public async Task The_default_is_the_deterministic_catalog_responder_named_as_such()
    {
        var options = new ModelOptions();
        using var client = options.CreateClient();
        var prompt = PromptBuilder.For(DemoTenants.VeloCorner, "I need an e-bike with a big battery");
        var first = await client.GetResponseAsync(prompt);
        var second = await client.GetResponseAsync(prompt);
        Assert.Equal(first.Text, second.Text);
        Assert.Contains("E-Trek 500", first.Text);
        Assert.Contains("€2,890", first.Text);
        Assert.Contains("deterministic demo model", options.DisplayName);
    }
}
