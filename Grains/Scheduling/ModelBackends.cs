using System.Collections.Concurrent;
using Grains.Models;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Grains.Scheduling;

/// <summary>
/// The chat client behind each configured backend: a keyed <see cref="IChatClient"/> registered
/// under the backend's name (tests, custom clients), else one built from the backend's own
/// provider settings, else the <c>Model</c> section's client.
/// </summary>
public sealed class ModelBackends(IServiceProvider services, IOptions<SchedulerOptions> scheduling, IOptions<ModelOptions> model)
{
    private readonly ConcurrentDictionary<string, IChatClient> _clients = new(StringComparer.Ordinal);

    public IChatClient Client(string backend) => _clients.GetOrAdd(backend, name =>
        services.GetKeyedService<IChatClient>(name)
        ?? (Options(name) is { Provider: { } provider } o
            ? new ModelOptions { Provider = provider, Endpoint = o.Endpoint, Model = o.Model, ApiKey = o.ApiKey }.CreateClient(services.GetService<Guardrails.Embeddings.TextEmbedder>())
            : services.GetRequiredService<IChatClient>()));

    public string DisplayName(string backend) => Options(backend) is { Provider: { } provider } o
        ? new ModelOptions { Provider = provider, Model = o.Model }.DisplayName
        : model.Value.DisplayName;

    private BackendOptions? Options(string name) => scheduling.Value.Backends.FirstOrDefault(b => b.Name == name);
}
