using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Grains.Guardrails.Embeddings;

namespace Grains.Guardrails.Topics;

/// <summary>
/// Topic indexes of this process, one per distinct set of examples (and catalog): a policy saved on the tenant
/// grain is indexed there at once, and any silo or portal that sees the same examples shares the
/// index (policies arrive as fresh copies when the tenant lives on another silo, hence the content
/// key behind the per-instance one). A failed build is not cached: the next message tries again.
/// </summary>
public sealed class TopicIndexCache(TextEmbedder embedder)
{
    private const int MaxIndexes = 1000; // tenants × policy versions in use; cleared past this

    private readonly ConditionalWeakTable<Tenants.TenantProfile, Task<TopicIndex>> _byInstance = new();
    private readonly ConcurrentDictionary<string, Lazy<Task<TopicIndex>>> _byContent = new();

    /// <summary>A policy's examples alone (no catalog).</summary>
    public Task<TopicIndex> GetAsync(GuardrailPolicy policy) => Get(policy, []);

    /// <summary>A tenant's examples and catalog.</summary>
    public Task<TopicIndex> GetAsync(Tenants.TenantProfile tenant)
    {
        if (_byInstance.TryGetValue(tenant, out var known) && !known.IsFaulted) return known;
        var task = Get(tenant.Policy, tenant.Catalog);
        _byInstance.AddOrUpdate(tenant, task);
        return task;
    }

    private Task<TopicIndex> Get(GuardrailPolicy policy, IReadOnlyList<Tenants.CatalogItem> catalog)
    {
        var key = ContentKey(policy, catalog);
        if (_byContent.Count > MaxIndexes) _byContent.Clear();
        var lazy = _byContent.GetOrAdd(key, _ => new Lazy<Task<TopicIndex>>(() => TopicIndex.BuildAsync(policy, catalog, embedder)));
        if (lazy.Value.IsFaulted)
        {
            // An earlier build failed (the embedding endpoint was down): build again now.
            _byContent.TryRemove(new KeyValuePair<string, Lazy<Task<TopicIndex>>>(key, lazy));
            lazy = _byContent.GetOrAdd(key, _ => new Lazy<Task<TopicIndex>>(() => TopicIndex.BuildAsync(policy, catalog, embedder)));
        }
        return lazy.Value;
    }

    private string ContentKey(GuardrailPolicy policy, IReadOnlyList<Tenants.CatalogItem> catalog)
    {
        var text = new StringBuilder(embedder.ModelName).Append('\u0004');
        foreach (var item in catalog) text.Append(item.Name).Append('\u0001').Append(item.Description).Append('\u0002');
        text.Append('\u0004');
        foreach (var (kind, topics) in new[] { ("+", policy.AllowedTopics), ("-", policy.BlockedTopics) })
            foreach (var (name, examples) in topics.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                text.Append(kind).Append(name).Append('\u0001').AppendJoin('\u0002', examples).Append('\u0003');
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
