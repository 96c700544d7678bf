using Confluent.Kafka;

namespace Streaming.Kafka;

/// <summary>
/// An admin client and a consumer that joins no group (for watermark queries), for tools that look at the cluster:
/// lag on the operations page, a trigger's lag. Lookups run one at a time off the caller's thread (librdkafka's calls
/// block), and the clients are destroyed only when no lookup is inside them: destroying a librdkafka handle under a
/// thread that is calling it is a use-after-free that ends the process.
/// </summary>
public sealed class KafkaLookupClients(IReadOnlyDictionary<string, string> settings, string clientId) : IDisposable
{
    private readonly Lazy<IAdminClient> _admin = new(() => new AdminClientBuilder(Settings(settings, clientId)).Build());
    private readonly Lazy<IConsumer<byte[], byte[]>> _watermarks = new(() =>
        new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig(Settings(settings, clientId)) { GroupId = clientId }).Build());
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _disposed;

    /// <summary>Runs one lookup on a pool thread; lookups wait for each other.</summary>
    public async Task<T> RunAsync<T>(Func<IAdminClient, IConsumer<byte[], byte[]>, Task<T>> lookup, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return await Task.Run(() => lookup(_admin.Value, _watermarks.Value), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task<T> RunAsync<T>(Func<IAdminClient, IConsumer<byte[], byte[]>, T> lookup, CancellationToken ct = default) =>
        RunAsync((admin, consumer) => Task.FromResult(lookup(admin, consumer)), ct);

    /// <summary>Waits for a lookup in flight (each is bounded by its own timeouts); one still running after that keeps its clients.</summary>
    public void Dispose()
    {
        if (!_gate.Wait(TimeSpan.FromSeconds(30))) return;
        try
        {
            if (_disposed) return;
            _disposed = true;
            if (_watermarks.IsValueCreated) _watermarks.Value.Dispose();
            if (_admin.IsValueCreated) _admin.Value.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }

    private static Dictionary<string, string> Settings(IReadOnlyDictionary<string, string> settings, string clientId)
    {
        var copy = new Dictionary<string, string>(settings);
        copy.TryAdd("client.id", clientId);
        return copy;
    }
}
