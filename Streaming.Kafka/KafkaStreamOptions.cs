using Orleans.Runtime;

namespace Streaming.Kafka;

/// <summary>
/// Options of one Kafka stream provider. One provider = one pipeline stage: its own consumer group
/// and its own topics, so its pulling agents can be stopped and started on their own (soft stop).
/// </summary>
public sealed class KafkaStreamOptions
{
    /// <summary>Comma-separated <c>host:port</c> list. Required.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>Topics this provider consumes; each (topic, partition) becomes one Orleans queue.</summary>
    public List<string> Topics { get; set; } = [];

    /// <summary>Consumer group that holds this provider's committed offsets. Defaults to the provider name.</summary>
    public string? ConsumerGroupId { get; set; }

    /// <summary>Prefix added to stream namespaces to form topic names (e.g. <c>acme.</c>).</summary>
    public string TopicPrefix { get; set; } = "";

    /// <summary>Where events that cannot be parsed are sent, with the reason in a <c>dlq_reason</c> header.</summary>
    public string DeadLetterTopic { get; set; } = "streams.deadletter";

    /// <summary>Create missing topics at start-up (Admin API on a real cluster, mock API when embedded).</summary>
    public bool CreateMissingTopics { get; set; } = true;

    /// <summary>Partitions of topics this provider creates.</summary>
    public int PartitionsForNewTopics { get; set; } = 4;

    public short ReplicationFactorForNewTopics { get; set; } = 1;

    /// <summary>How long start-up waits for the cluster's metadata before failing with a clear error.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a produce may wait for the brokers' acknowledgement.</summary>
    public TimeSpan ProduceTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Offsets are committed at most this often (and always when a queue shuts down).</summary>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Messages buffered per partition before the consumer pauses it (back-pressure).</summary>
    public int MaxBufferedMessagesPerPartition { get; set; } = 2000;

    /// <summary>
    /// How long a pulling agent's read waits for the next message of an empty partition before it returns empty (a long
    /// poll): a message arriving meanwhile is handed over at once instead of at the agent's next timer tick, and an idle
    /// partition costs one wake-up per wait instead of one per tick. Zero (the default for now): return at once, Orleans'
    /// own pacing. Off by default until it is proven under load: with 100 ms, the full suite's first run saw the audit
    /// index lag 30 s and the redis kill drill leave two held turns unapproved (not reproduced alone; see ARCHITECTURE).
    /// </summary>
    public TimeSpan ReceiveWait { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// How long the brokers may hold a fetch that finds no data (<c>fetch.wait.max.ms</c>). Unset: by the kind of
    /// cluster (<see cref="Providers.KafkaClientConfig.FetchWaitOf"/>): 500 ms on a broker, which answers as soon as data
    /// arrives, and 10 ms on librdkafka's mock cluster, which answers only when the wait is over.
    /// </summary>
    public TimeSpan? FetchWait { get; set; }

    /// <summary>
    /// Raw librdkafka settings for producer, consumer and admin clients: SASL/SSL
    /// (<c>security.protocol</c>, <c>sasl.mechanism</c>, <c>sasl.username</c>...), timeouts, etc.
    /// </summary>
    public Dictionary<string, string> ClientSettings { get; set; } = [];

    /// <summary>
    /// Put before the topic's name in the namespace of the streams this provider delivers (e.g. <c>audit/</c>), so
    /// that a provider observing topics another provider consumes reaches only its own grains: implicit
    /// subscriptions match namespaces, whichever provider delivers. Produced streams may use either form.
    /// </summary>
    public string NamespacePrefix { get; set; } = "";

    /// <summary>
    /// Whether a message that is not a CloudEvent is written to <see cref="DeadLetterTopic"/> (true), or only skipped:
    /// for a provider that observes topics another provider consumes and dead-letters already.
    /// </summary>
    public bool DeadLetterUnreadable { get; set; } = true;

    public string TopicForNamespace(string? streamNamespace)
    {
        var name = streamNamespace ?? "";
        if (NamespacePrefix.Length > 0 && name.StartsWith(NamespacePrefix, StringComparison.Ordinal)) name = name[NamespacePrefix.Length..];
        return TopicPrefix + name;
    }

    public string? NamespaceForTopic(string topic) =>
        topic.StartsWith(TopicPrefix, StringComparison.Ordinal) ? NamespacePrefix + topic[TopicPrefix.Length..] : null;

    public IEnumerable<string> ConsumedTopics => Topics.Select(TopicForNamespace);
}

/// <summary>Fails silo or client start with a message that names the setting.</summary>
internal sealed class KafkaStreamOptionsValidator(KafkaStreamOptions options, string name) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        static OrleansConfigurationException Error(string provider, string message) =>
            new($"Kafka stream provider '{provider}': {message}");

        if (string.IsNullOrWhiteSpace(options.BootstrapServers))
            throw Error(name, $"{nameof(KafkaStreamOptions.BootstrapServers)} is empty. Set Kafka:BootstrapServers, or leave it unset in the host to use the embedded cluster.");
        foreach (var server in options.BootstrapServers.Split(',', StringSplitOptions.TrimEntries))
        {
            var colon = server.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(server[(colon + 1)..], out var port) || port is <= 0 or > 65535)
                throw Error(name, $"bootstrap server '{server}' is not host:port.");
        }
        if (options.Topics.Count == 0)
            throw Error(name, $"{nameof(KafkaStreamOptions.Topics)} is empty: a provider must consume at least one topic.");
        foreach (var topic in options.ConsumedTopics.Append(options.DeadLetterTopic))
            if (!IsValidTopicName(topic))
                throw Error(name, $"'{topic}' is not a valid Kafka topic name (1-249 characters of a-z, A-Z, 0-9, '.', '_', '-').");
        if (options.Topics.Distinct(StringComparer.Ordinal).Count() != options.Topics.Count)
            throw Error(name, "a topic is listed twice.");
        if (options.PartitionsForNewTopics < 1)
            throw Error(name, $"{nameof(KafkaStreamOptions.PartitionsForNewTopics)} must be at least 1.");
        if (options.MaxBufferedMessagesPerPartition < 1)
            throw Error(name, $"{nameof(KafkaStreamOptions.MaxBufferedMessagesPerPartition)} must be at least 1.");
        if (options.StartupTimeout <= TimeSpan.Zero || options.CommitInterval < TimeSpan.Zero || options.ProduceTimeout <= TimeSpan.Zero)
            throw Error(name, "timeouts must be positive.");
    }

    internal static bool IsValidTopicName(string topic) =>
        topic.Length is > 0 and <= 249 && topic is not "." and not ".." &&
        topic.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
