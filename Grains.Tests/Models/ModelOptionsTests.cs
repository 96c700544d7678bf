using System.Net;
using System.Net.Sockets;
using System.Text;
using Grains.Models;
using Grains.Tenants;

namespace Grains.Tests.Models;

/// <summary>The model is chosen by configuration; each choice is exercised through its real client.</summary>
public sealed class ModelOptionsTests
{
    [Fact]
    public async Task The_openai_provider_talks_to_any_openai_compatible_endpoint_with_the_catalog_prompt()
    {
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var served = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            var body = await new StreamReader(context.Request.InputStream).ReadToEndAsync();
            var reply = """{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"local-llm","choices":[{"index":0,"message":{"role":"assistant","content":"The EQS has the longest range."},"finish_reason":"stop"}],"usage":{"prompt_tokens":120,"completion_tokens":8,"total_tokens":128}}""";
            var bytes = Encoding.UTF8.GetBytes(reply);
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
            return (Path: context.Request.Url!.AbsolutePath, Auth: context.Request.Headers["Authorization"], Body: body);
        });

        var options = new ModelOptions { Provider = "openai", Endpoint = $"http://127.0.0.1:{port}/v1", Model = "local-llm", ApiKey = "sk-test" };
        using var client = options.CreateClient();
        var response = await client.GetResponseAsync(PromptBuilder.For(DemoTenants.StuttgartMotors, "Which car goes furthest?"));

        Assert.Equal("The EQS has the longest range.", response.Text);
        var request = await served;
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

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
