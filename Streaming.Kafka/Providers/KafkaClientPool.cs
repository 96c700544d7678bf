using System.Collections.Concurrent;
using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging;

namespace Streaming.Kafka.Providers;

/// <summary>
/// Per cluster per host, shared by every provider (librdkafka clients are heavy: threads and sockets per broker, and
/// a consumer fetches from every broker all the time): one idempotent producer, one admin client (which also commits
/// the providers' offsets, <see cref="KafkaGroupOffsets"/>), and the fetching consumers (<see cref="KafkaFetchers"/>).
/// Also caches partition counts.
/// </summary>
public sealed class KafkaClientPool(ILoggerFactory loggerFactory, IKafkaTopicCreator? topicCreator = null) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Cluster>> _clusters = new();
    private readonly ILogger _logger = loggerFactory.CreateLogger<KafkaClientPool>();

    public IProducer<byte[], byte[]> Producer(KafkaStreamOptions options) => Get(options).Producer.Value;

    internal KafkaFetchers Fetchers(KafkaStreamOptions options) => Get(options).Fetchers.Value;

    /// <summary>How long a fetch may wait for data on this cluster (<see cref="KafkaClientConfig.FetchWaitOf"/>), found out once per cluster.</summary>
    public TimeSpan FetchWait(KafkaStreamOptions options) => Get(options).FetchWait.Value;

    internal KafkaGroupOffsets GroupOffsets(KafkaStreamOptions options) => Get(options).Offsets;

    /// <summary>Partition count of a topic, creating the topic when allowed.</summary>
    public async Task<int> PartitionCountAsync(KafkaStreamOptions options, string topic, CancellationToken ct = default)
    {
        var cluster = Get(options);
        if (cluster.Partitions.TryGetValue(topic, out var known)) return known;
        var counts = await DiscoverAsync(options, [topic], ct).ConfigureAwait(false);
        return counts[topic];
    }

    /// <summary>
    /// Reads the partition counts of <paramref name="topics"/>; creates missing ones when the options
    /// allow it; fails with a clear message when the cluster is unreachable or a topic is missing.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, int>> DiscoverAsync(KafkaStreamOptions options, IReadOnlyCollection<string> topics, CancellationToken ct = default)
    {
        var cluster = Get(options);
        var missing = topics.Where(t => !cluster.Partitions.ContainsKey(t)).ToList();
        if (missing.Count > 0)
        {
            var found = await Task.Run(() => ReadMetadata(cluster, options, missing), ct).ConfigureAwait(false);
            var absent = missing.Where(t => !found.ContainsKey(t)).ToList();
            if (absent.Count > 0)
            {
                if (!options.CreateMissingTopics)
                    throw new KafkaStreamStartupException(
                        $"Topics {string.Join(", ", absent)} do not exist on {options.BootstrapServers} and {nameof(KafkaStreamOptions.CreateMissingTopics)} is off. Create them or turn it on.");
                await CreateAsync(cluster, options, absent).ConfigureAwait(false);
                found = await Task.Run(() => ReadMetadata(cluster, options, missing), ct).ConfigureAwait(false);
                absent = missing.Where(t => !found.ContainsKey(t)).ToList();
                if (absent.Count > 0)
                    throw new KafkaStreamStartupException($"Topics {string.Join(", ", absent)} were created on {options.BootstrapServers} but are not visible in its metadata.");
            }
            foreach (var (t, n) in found) cluster.Partitions[t] = n;
        }
        return topics.ToDictionary(t => t, t => cluster.Partitions[t]);
    }

    private Dictionary<string, int> ReadMetadata(Cluster cluster, KafkaStreamOptions options, List<string> topics)
    {
        Metadata metadata;
        try
        {
            metadata = cluster.Admin.Value.GetMetadata(options.StartupTimeout);
        }
        catch (KafkaException ex)
        {
            throw new KafkaStreamStartupException(
                $"Kafka at {options.BootstrapServers} did not answer within {options.StartupTimeout.TotalSeconds:0.#} s ({ex.Error.Reason}). Check Kafka:BootstrapServers and the network, or unset it to use the embedded cluster.", ex);
        }
        if (metadata.Brokers.Count == 0)
            throw new KafkaStreamStartupException($"Kafka at {options.BootstrapServers} answered with no brokers.");
        return metadata.Topics
            .Where(t => topics.Contains(t.Topic) && t.Error.Code == ErrorCode.NoError && t.Partitions.Count > 0)
            .ToDictionary(t => t.Topic, t => t.Partitions.Count);
    }

    private async Task CreateAsync(Cluster cluster, KafkaStreamOptions options, List<string> topics)
    {
        if (topicCreator is not null)
        {
            foreach (var t in topics) topicCreator.CreateTopic(t, options.PartitionsForNewTopics, options.ReplicationFactorForNewTopics);
            return;
        }
        try
        {
            await cluster.Admin.Value.CreateTopicsAsync(
                topics.Select(t => new TopicSpecification { Name = t, NumPartitions = options.PartitionsForNewTopics, ReplicationFactor = options.ReplicationFactorForNewTopics }),
                new CreateTopicsOptions { RequestTimeout = options.StartupTimeout, OperationTimeout = options.StartupTimeout }).ConfigureAwait(false);
            _logger.LogInformation("Created topics {Topics} with {Partitions} partitions", topics, options.PartitionsForNewTopics);
        }
        catch (CreateTopicsException ex) when (ex.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
        }
        catch (KafkaException ex)
        {
            throw new KafkaStreamStartupException($"Could not create topics {string.Join(", ", topics)} on {options.BootstrapServers}: {ex.Message}", ex);
        }
    }

    private Cluster Get(KafkaStreamOptions options)
    {
        var key = options.BootstrapServers + "|" + options.FetchWait + "|" + string.Join(";", options.ClientSettings.OrderBy(kv => kv.Key).Select(kv => kv.Key + "=" + kv.Value));
        return _clusters.GetOrAdd(key, _ => new Lazy<Cluster>(() => new Cluster(options, loggerFactory, _logger))).Value;
    }

    /// <summary>At host shutdown: the consumers first (their poll threads close them), then the producers.</summary>
    public void Dispose()
    {
        foreach (var c in _clusters.Values.Where(c => c.IsValueCreated)) c.Value.Dispose();
        _clusters.Clear();
    }

    private sealed class Cluster : IDisposable
    {
        public readonly ConcurrentDictionary<string, int> Partitions = new();
        public readonly Lazy<IProducer<byte[], byte[]>> Producer;
        public readonly Lazy<IAdminClient> Admin;
        public readonly Lazy<KafkaFetchers> Fetchers;
        public readonly Lazy<TimeSpan> FetchWait;
        public readonly KafkaGroupOffsets Offsets;

        public Cluster(KafkaStreamOptions options, ILoggerFactory loggers, ILogger logger)
        {
            Producer = new(() => new ProducerBuilder<byte[], byte[]>(KafkaClientConfig.Producer(options))
                .SetLogHandler((_, m) => KafkaClientConfig.Log(logger, m))
                .SetErrorHandler((_, e) => logger.LogWarning("Kafka producer: {Reason}", e.Reason))
                .Build());
            Admin = new(() => new AdminClientBuilder(KafkaClientConfig.Admin(options))
                .SetLogHandler((_, m) => KafkaClientConfig.Log(logger, m))
                .Build());
            FetchWait = new(() => KafkaClientConfig.FetchWaitOf(options, logger));
            Fetchers = new(() => new KafkaFetchers(options, FetchWait.Value, loggers));
            Offsets = new KafkaGroupOffsets(() => Admin.Value, options.StartupTimeout);
        }

        public void Dispose()
        {
            if (Fetchers.IsValueCreated) Fetchers.Value.Dispose();
            if (Producer.IsValueCreated)
            {
                Producer.Value.Flush(TimeSpan.FromSeconds(10));
                Producer.Value.Dispose();
            }
            if (Admin.IsValueCreated) Admin.Value.Dispose();
        }
    }
}

/// <summary>Creates topics where the Admin API cannot (the embedded cluster).</summary>
public interface IKafkaTopicCreator
{
    void CreateTopic(string topic, int partitions, int replicationFactor);
}

public sealed class KafkaStreamStartupException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The librdkafka settings the provider uses, public so tools and benchmarks measure with the same client.</summary>
public static class KafkaClientConfig
{
    public static ProducerConfig Producer(KafkaStreamOptions o) => new(Common(o))
    {
        // Idempotent producer: acks=all, retries keep order, no duplicates from producer retries.
        EnableIdempotence = true,
        Acks = Acks.All,
        LingerMs = 1,
        Partitioner = Confluent.Kafka.Partitioner.Murmur2Random,
        MessageTimeoutMs = (int)o.ProduceTimeout.TotalMilliseconds,
    };

    /// <summary>A consumer that waits <see cref="KafkaStreamOptions.FetchWait"/>, else the short wait (correct on any cluster).</summary>
    public static ConsumerConfig Consumer(KafkaStreamOptions o, string groupId) => Consumer(o, groupId, o.FetchWait ?? MockFetchWait);

    public static ConsumerConfig Consumer(KafkaStreamOptions o, string groupId, TimeSpan fetchWait) => new(Common(o))
    {
        GroupId = groupId,
        // Offsets are ours to commit, only after Orleans delivered the messages.
        EnableAutoCommit = false,
        EnableAutoOffsetStore = false,
        // A partition with no committed offset starts at the beginning: never skip what was written.
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnablePartitionEof = false,
        FetchWaitMaxMs = (int)fetchWait.TotalMilliseconds,
    };

    /// <summary>A broker answers a fetch as soon as data arrives: waiting long costs nothing (Kafka's default).</summary>
    public static readonly TimeSpan BrokerFetchWait = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// librdkafka's mock cluster (the embedded default) answers an empty fetch only when the whole wait is over, even if
    /// data arrives meanwhile: the wait is added to every hop, so it must be short.
    /// </summary>
    public static readonly TimeSpan MockFetchWait = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// <see cref="KafkaStreamOptions.FetchWait"/> when set, else by the kind of cluster (<see cref="IsMockCluster"/>).
    /// When the cluster cannot be asked, the short wait: correct anywhere, only busier.
    /// </summary>
    public static TimeSpan FetchWaitOf(KafkaStreamOptions o, ILogger? logger = null)
    {
        if (o.FetchWait is { } set) return set;
        var mock = IsMockCluster(o);
        var wait = mock == false ? BrokerFetchWait : MockFetchWait;
        logger?.LogInformation("Kafka at {Bootstrap} is {Kind}: fetches wait up to {Wait} ms for data", o.BootstrapServers,
            mock switch { true => "librdkafka's mock cluster", false => "a broker", null => "of an unknown kind (no answer)" }, wait.TotalMilliseconds);
        return wait;
    }

    /// <summary>Whether the cluster is librdkafka's mock cluster, which names itself <c>mockCluster…</c> in its metadata; null when it did not answer.</summary>
    public static bool? IsMockCluster(KafkaStreamOptions o) =>
        Embedded.KafkaClusterId.Read(Common(o), o.StartupTimeout) is { } id ? id.StartsWith("mockCluster", StringComparison.Ordinal) : null;

    public static AdminClientConfig Admin(KafkaStreamOptions o) => new(Common(o));

    private static Dictionary<string, string> Common(KafkaStreamOptions o)
    {
        var settings = new Dictionary<string, string>(o.ClientSettings) { ["bootstrap.servers"] = o.BootstrapServers };
        settings.TryAdd("client.id", "orleans-kafka-streams");
        settings.TryAdd("log_level", "4");
        return settings;
    }

    internal static void Log(ILogger logger, LogMessage m)
    {
        var level = m.Level switch
        {
            SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical or SyslogLevel.Error => LogLevel.Error,
            SyslogLevel.Warning => LogLevel.Warning,
            SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
            _ => LogLevel.Debug,
        };
        logger.Log(level, "librdkafka {Facility} {Name}: {Message}", m.Facility, m.Name, m.Message);
    }
}
