using System.Collections.Concurrent;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace Grains.Tests.Infrastructure;

/// <summary>
/// Grain storage that outlives a killed in-process silo, standing in for the Redis or PostgreSQL
/// storage of a deployment, so that crash tests measure the Kafka path and not lost memory storage.
/// Stores serialized copies with ETags, like a real store.
/// </summary>
public sealed class SharedGrainStorage(Serializer serializer, string scope) : IGrainStorage
{
    private static readonly ConcurrentDictionary<string, (byte[] Data, string ETag)> Store = new();

    // Scoped per test cluster: grains with fixed ids (the control grain) must not share state across tests.
    private string Key(string stateName, GrainId grainId) => scope + "/" + stateName + "/" + grainId;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (Store.TryGetValue(Key(stateName, grainId), out var stored))
        {
            grainState.State = serializer.Deserialize<T>(stored.Data);
            grainState.ETag = stored.ETag;
            grainState.RecordExists = true;
        }
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = Key(stateName, grainId);
        var etag = Guid.NewGuid().ToString("N");
        var data = serializer.SerializeToArray(grainState.State);
        lock (Store)
        {
            if (Store.TryGetValue(key, out var stored) && stored.ETag != grainState.ETag)
                throw new InconsistentStateException($"ETag mismatch for {key}", stored.ETag, grainState.ETag);
            Store[key] = (data, etag);
        }
        grainState.ETag = etag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Store.TryRemove(Key(stateName, grainId), out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }
}
