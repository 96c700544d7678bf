using System.Diagnostics;
using Grains.Guardrails;
using Grains.Guardrails.Embeddings;
using Grains.Guardrails.Safety;
using Grains.Guardrails.Topics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grains.Hosting;

public static class GuardrailHosting
{
    /// <summary>
    /// The guardrail chains and what they stand on: the embedding model (in-process MiniLM unless
    /// <c>Guardrails:Embeddings</c> names an endpoint), the safety heads' weights
    /// (<c>Guardrails:Safety:WeightsFile</c>), the topic indexes and the optional model judge.
    /// Both are loaded at start: a missing or corrupt weights file stops the host with its reason.
    /// </summary>
    public static IServiceCollection AddPlatformGuardrails(this IServiceCollection services)
    {
        services.AddOptions<EmbeddingOptions>().BindConfiguration(EmbeddingOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.IsInProcess || (!string.IsNullOrWhiteSpace(o.Endpoint) && !string.IsNullOrWhiteSpace(o.Model)),
                "Guardrails:Embeddings:Endpoint and :Model are required when Guardrails:Embeddings:Provider is ollama or openai.")
            .ValidateOnStart();
        services.AddOptions<SafetyOptions>().BindConfiguration(SafetyOptions.Section);
        services.AddOptions<ModelJudgeOptions>().BindConfiguration("Guardrails:Judge");
        services.TryAddSingleton(sp => TextEmbedder.Create(sp.GetRequiredService<IOptions<EmbeddingOptions>>().Value));
        services.TryAddSingleton(sp => SafetyModel.Load(sp.GetRequiredService<IOptions<SafetyOptions>>().Value.ResolvedPath));
        services.TryAddSingleton<TopicIndexCache>();
        services.TryAddSingleton<GuardrailChains>();
        services.TryAddSingleton<ModelJudge>();
        services.AddHostedService<GuardrailModelsStartup>(); // registered once however often this is called
        return services;
    }
}

/// <summary>Loads the safety heads and the embedding model before the host serves anything, and says what it cost.</summary>
internal sealed class GuardrailModelsStartup(IServiceProvider services, IOptions<EmbeddingOptions> options, ILogger<GuardrailModelsStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var safety = services.GetRequiredService<SafetyModel>(); // throws SafetyModelException with the file's problem
        var embedder = services.GetRequiredService<TextEmbedder>();
        if (!options.Value.IsInProcess)
        {
            logger.LogInformation("Guardrails: embeddings from {Model} at {Endpoint}; safety heads {Version} ({Categories} categories) from {File}. When the endpoint is unreachable the chains fail closed.",
                embedder.ModelName, options.Value.Endpoint, safety.Version, safety.Categories.Count, safety.Source);
            return;
        }
        if (safety.Dimensions != MiniLmEmbeddingGenerator.Dimensions)
            throw new SafetyModelException($"The safety weights file '{safety.Source}' was trained on {safety.Dimensions}-dimensional vectors of {safety.EmbeddingModel}; the in-process model gives {MiniLmEmbeddingGenerator.Dimensions}.");
        var started = Stopwatch.GetTimestamp();
        await embedder.EmbedAsync("how long does one short message take", cancellationToken);
        var (loadTime, loadBytes) = MiniLmEmbeddingGenerator.Shared(options.Value.Threads).LoadCost;
        logger.LogInformation("Guardrails: in-process embedding model {Model} loaded in {LoadMs:0} ms (+{Mb:0} MB working set, once per process), one message in {Ms:0.0} ms; safety heads {Version} ({Categories} categories) from {File}.",
            embedder.ModelName, loadTime.TotalMilliseconds, loadBytes / 1e6, Stopwatch.GetElapsedTime(started).TotalMilliseconds, safety.Version, safety.Categories.Count, safety.Source);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
