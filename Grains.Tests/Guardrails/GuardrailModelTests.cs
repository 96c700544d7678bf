using System.Net;
using System.Net.Sockets;
using Grains.Guardrails;
using Grains.Guardrails.Embeddings;
using Grains.Guardrails.Safety;
using Grains.Guardrails.Topics;
using Grains.Hosting;
using Grains.Pipeline;
using Grains.Tenants;
using Grains.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Grains.Tests.Guardrails;

/// <summary>What the guardrails stand on: the weights file, the embedding model and its endpoint.</summary>
public sealed class GuardrailModelTests
{
    [Fact]
    public void The_shipped_weights_load_and_name_their_version_and_embedding_model()
    {
        var model = SafetyModel.Load(new SafetyOptions().ResolvedPath);
        Assert.Equal(MiniLmEmbeddingGenerator.ModelName, model.EmbeddingModel);
        Assert.Equal(384, model.Dimensions);
        Assert.Equal(SafetyCategories.All.Order(), model.Categories.Order());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}\.[0-9a-f]{8}$", model.Version);
        Assert.All(model.Metrics.Values, m => Assert.InRange(m.Auc, 0.5, 1));
    }

    [Fact]
    public async Task A_missing_weights_file_stops_start_up_naming_the_file_and_the_fix()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "safety-heads.json");
        var error = await Assert.ThrowsAsync<SafetyModelException>(() => StartHostAsync(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("does not exist", error.Message);
        Assert.Contains("train-safety", error.Message);
    }

    [Theory]
    [InlineData("{ this is not json", "corrupt or unreadable")]
    [InlineData("""{"format":"agent-platform.safety-heads/1","version":"x","embeddingModel":"all-MiniLM-L6-v2","dimensions":384,"heads":[{"category":"violence","weights":[0.1,0.2],"bias":0,"calibration":{"a":1,"b":0}}]}""", "has 2 weights, expected 384")]
    [InlineData("""{"format":"something-else/9","version":"x","dimensions":384,"heads":[]}""", "format is 'something-else/9'")]
    public async Task A_corrupt_weights_file_stops_start_up_with_what_is_wrong(string content, string problem)
    {
        var path = Path.Combine(Path.GetTempPath(), "safety-heads-" + Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(path, content);
        try
        {
            var error = await Assert.ThrowsAsync<SafetyModelException>(() => StartHostAsync(path));
            Assert.Contains(problem, error.Message);
            Assert.Contains(path, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task An_unreachable_embedding_endpoint_fails_closed_with_a_clear_reason()
    {
        var chains = GuardrailChains.Create(new EmbeddingOptions { Provider = "openai", Endpoint = $"http://127.0.0.1:{ClosedPort()}/v1", Model = "all-minilm", Timeout = TimeSpan.FromSeconds(3) });
        var dealer = DemoTenants.StuttgartMotors;

        var held = await chains.Input.RunAsync(dealer, "Which electric SUV has the best range?");
        Assert.Equal(VerdictDecision.Hold, held.Decision.Decision);
        Assert.Equal("guardrail.classifiers-unavailable", held.Decision.Rule);
        Assert.Contains("openai:all-minilm", held.Decision.Reason);
        Assert.Contains(held.Verdicts, v => v.Detector == "embeddings");

        var refusing = dealer with { Policy = dealer.Policy with { WhenClassifiersUnavailable = SafetyAction.Block } };
        var refused = await chains.Input.RunAsync(refusing, "Which electric SUV has the best range?");
        Assert.Equal(VerdictDecision.Block, refused.Decision.Decision);
        // The output side holds or refuses too: an unjudged answer never goes out.
        Assert.NotEqual(VerdictDecision.Allow, (await chains.Output.RunAsync(dealer, "The GLC has a large boot.")).Decision.Decision);
    }

    [Fact]
    public void A_policy_may_not_let_unjudged_messages_through() =>
        Assert.Contains(GuardrailPolicyValidation.Validate(new GuardrailPolicy { WhenClassifiersUnavailable = SafetyAction.Allow }),
            e => e.Field == "whenClassifiersUnavailable");

    private static async Task StartHostAsync(string weightsFile)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Guardrails:Safety:WeightsFile"] = weightsFile });
        builder.Services.AddPlatformGuardrails();
        using var host = builder.Build();
        await host.StartAsync();
        await host.StopAsync();
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there any more: connections are refused at once
        return port;
    }
}
