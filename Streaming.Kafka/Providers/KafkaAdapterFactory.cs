using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Configuration.Overrides;
using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace Streaming.Kafka.Providers;

/// <summary>
/// Builds the pieces Orleans' persistent stream runtime asks for: adapter, queue mapper (one queue
/// per topic-partition, discovered from the cluster), a cache that never drops undelivered data,
/// and a failure handler per queue.
/// </summary>
public sealed class KafkaAdapterFactory : IQueueAdapterFactory
{
    private readonly string _name;
    private readonly KafkaStreamOptions _options;
    private readonly KafkaClientPool _pool;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;
    private readonly IQueueAdapterCache _cache;
    private readonly Lazy<KafkaQueueMapper> _mapper;
    private readonly DeadLetterWriter _deadLetters;
    private readonly ConcurrentDictionary<QueueId, KafkaQueueAdapterReceiver> _receivers = new();
    private readonly CancellationToken _hostStopping;

    public KafkaAdapterFactory(string name, KafkaStreamOptions options, SimpleQueueCacheOptions cacheOptions,
        KafkaClientPool pool, ILoggerFactory loggerFactory, TimeProvider? time = null, Microsoft.Extensions.Hosting.IHostApplicationLifetime? lifetime = null)
    {
        _hostStopping = lifetime?.ApplicationStopping ?? CancellationToken.None;
        _name = name;
        _options = options;
        _pool = pool;
        _loggerFactory = loggerFactory;
        _time = time ?? TimeProvider.System;
        _cache = new SimpleQueueAdapterCache(cacheOptions, name, loggerFactory);
        _deadLetters = new DeadLetterWriter(name, options, pool);
        _mapper = new Lazy<KafkaQueueMapper>(() =>
        {
            // Start-up only: Orleans asks for the mapper synchronously.
            var partitions = pool.DiscoverAsync(options, [.. options.ConsumedTopics, options.DeadLetterTopic]).GetAwaiter().GetResult();
            return new KafkaQueueMapper(name, options, partitions);
        });
    }

    public static KafkaAdapterFactory Create(IServiceProvider services, string name) =>
        ActivatorUtilities.CreateInstance<KafkaAdapterFactory>(services, name,
            services.GetOptionsByName<KafkaStreamOptions>(name),
            services.GetOptionsByName<SimpleQueueCacheOptions>(name));

    public string Name => _name;

    public KafkaStreamOptions Options => _options;

    public async Task<IQueueAdapter> CreateAdapter()
    {
        await _pool.DiscoverAsync(_options, [.. _options.ConsumedTopics, _options.DeadLetterTopic]).ConfigureAwait(false);
        return new KafkaAdapter(_name, _options, _pool, _mapper.Value, CreateReceiver);
    }

    private KafkaQueueAdapterReceiver CreateReceiver(QueueId queue)
    {
        var receiver = new KafkaQueueAdapterReceiver(queue, _mapper.Value.PartitionOf(queue), _options,
            _pool.Fetchers(_options), _pool.GroupOffsets(_options), _options.ConsumerGroupId ?? _name, _deadLetters, _time, _loggerFactory.CreateLogger<KafkaQueueAdapterReceiver>());
        _receivers[queue] = receiver;
        return receiver;
    }

    public IQueueAdapterCache GetQueueAdapterCache() => _cache;

    public IStreamQueueMapper GetStreamQueueMapper() => _mapper.Value;

    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) =>
        Task.FromResult<IStreamFailureHandler>(new KafkaDeliveryFailureHandler(queueId, _mapper.Value.PartitionOf(queueId),
            q => _receivers.GetValueOrDefault(q), _deadLetters, _loggerFactory.CreateLogger<KafkaDeliveryFailureHandler>(), _hostStopping));
}
