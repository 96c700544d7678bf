using Grains.Conversations;
using Grains.Hosting;
using Grains.Models;
using Grains.Pipeline;
using Grains.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Grains.Tests.Pipeline;

/// <summary>The whole chat pipeline in a test cluster, on its own topic prefix of the test Kafka.</summary>
public class PipelineCluster : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public string Prefix { get; } = TestKafka.UniquePrefix();

    public static readonly TimeSpan ModelTimeout = TimeSpan.FromSeconds(2);

    public IClusterClient Client => Cluster.Client;

    public async Task InitializeAsync()
    {
        var kafka = new PlatformKafkaOptions { BootstrapServers = TestKafka.BootstrapServers, TopicPrefix = Prefix, Embedded = TestKafka.Embedded };
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<IChatClient>(new ScriptedModel());
            silo.AddAgentPlatform(kafka);
            silo.Services.Configure<ModelOptions>(o => o.Timeout = ModelTimeout);
            Configure(silo);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>For fixtures that need more (a fake clock, other settings).</summary>
    protected virtual void Configure(ISiloBuilder silo) { }

    public virtual async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    public async Task<(IConversationGrain Grain, string SessionId)> OpenAsync(string tenantId)
    {
        var sessionId = "s-" + Guid.NewGuid().ToString("N");
        var grain = Client.GetGrain<IConversationGrain>(sessionId);
        await grain.Open(tenantId);
        return (grain, sessionId);
    }

    public static async Task<ChatLine> AnswerTo(IConversationGrain grain, string turnId)
    {
        ChatLine? answer = null;
        await Eventually.True(async () =>
        {
            answer = (await grain.View())!.Lines.FirstOrDefault(l => l.TurnId == turnId && l.Role == Speaker.Assistant);
            return answer is not null;
        }, $"an answer to turn {turnId}");
        return answer!;
    }

    public string Topic(string name) => Prefix + name;
}

/// <summary>
/// The catalog responder, except that a question containing "[[fail]]" makes the model throw and
/// "[[hang]]" makes it never answer and "[[empty]]" answer only white space, the ways a real endpoint fails, so failure paths can be driven from tests.
/// </summary>
public sealed class ScriptedModel : IChatClient
{
    private readonly CatalogResponder _inner = new();

    /// <summary>Answers a real model might give that the output guardrails must escalate.</summary>
    public static readonly (string Marker, string Answer)[] Scripted =
    [
        ("[[discount]]", "Good news: I can give you 15% off the GLC if you order today."),
        ("[[finance]]", "You should invest your savings in our partner fund, it has guaranteed returns."),
        ("[[legal]]", "You could sue the previous owner for hiding that damage."),
    ];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        if (list.Last().Text.Contains("[[fail]]", StringComparison.Ordinal))
            throw new HttpRequestException("model endpoint returned 503 Service Unavailable");
        foreach (var (marker, answer) in Scripted)
            if (list.Last().Text.Contains(marker, StringComparison.Ordinal))
                return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)) { ModelId = "scripted" });
        if (list.Last().Text.Contains("[[empty]]", StringComparison.Ordinal))
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, " \n ")) { ModelId = "scripted" });
        if (list.Last().Text.Contains("[[hang]]", StringComparison.Ordinal))
            return Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith<ChatResponse>(_ => throw new OperationCanceledException(cancellationToken), TaskScheduler.Default);
        return _inner.GetResponseAsync(list, options, cancellationToken);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        _inner.GetStreamingResponseAsync(messages, options, cancellationToken);

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}
