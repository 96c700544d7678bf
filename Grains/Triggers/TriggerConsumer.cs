using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Streaming.Kafka.Events;

namespace Grains.Triggers;

/// <summary>
/// One trigger's consumer in one silo, on a thread of its own: subscribes to the trigger's topics in the trigger's
/// consumer group (every silo does, so Kafka's group protocol splits the partitions between them and no event goes
/// to two silos), and for each message in order: parse, filter, deliver through the retry pipeline, or dead-letter
/// after the last attempt, then commit the message's offset. Commit follows acceptance (or the dead letter), so
/// delivery is at-least-once and in order per partition; a stop during a retry leaves the event uncommitted.
/// </summary>
internal sealed partial class TriggerConsumer : IDisposable
{
    private readonly TriggerDefinition _trigger;
    private readonly TriggerOffsets _kafka;
    private readonly ITriggerDestination _destination;
    private readonly TriggerFilter _filter;
    private readonly ResiliencePipeline _retries;
    private readonly TriggerOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly object _counts = new();
    private TriggerStats _delta = TriggerStats.None;

    public TriggerConsumer(TriggerDefinition trigger, TriggerOffsets kafka, HttpClient http, TriggerOptions options, ILogger logger)
    {
        _trigger = trigger;
        _kafka = kafka;
        _options = options;
        _logger = logger;
        _filter = TriggerFilter.For(trigger.Spec.Filter);
        _destination = trigger.Spec.Destination.Kind == TriggerDestinationKind.Http
            ? new HttpTriggerDestination(http, new Uri(trigger.Spec.Destination.Url!))
            : new TopicTriggerDestination(kafka.Pool.Producer(kafka.Kafka), kafka.TopicOf(trigger.Spec.Destination.Topic!));
        _retries = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(0, options.MaxAttempts - 1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
                ShouldHandle = new PredicateBuilder()
                    .Handle<TriggerDeliveryException>(e => e.Retryable)
                    .Handle<HttpRequestException>()
                    .Handle<KafkaException>()
                    .Handle<TimeoutRejectedException>(),
                OnRetry = args =>
                {
                    Failed(args.Outcome.Exception);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();
        _thread = new Thread(Run) { IsBackground = true, Name = "trigger-" + trigger.Id };
    }

    public string Id => _trigger.Id;

    private readonly HashSet<TopicPartition> _assigned = [];

    /// <summary>The partitions Kafka gave this silo's consumer of the trigger (the group shares them between silos).</summary>
    public IReadOnlyCollection<TopicPartition> Assigned
    {
        get { lock (_assigned) return _assigned.ToList(); }
    }

    public void Start() => _thread.Start();

    /// <summary>Counts since the last call (the runner reports them to the registry).</summary>
    public TriggerStats TakeDelta()
    {
        lock (_counts)
        {
            var delta = _delta;
            _delta = TriggerStats.None;
            return delta;
        }
    }

    private void Count(Func<TriggerStats, TriggerStats> change)
    {
        lock (_counts) _delta = change(_delta);
    }

    private void Failed(Exception? ex) => Count(s => s with
    {
        FailedAttempts = s.FailedAttempts + 1, LastError = Describe(ex), LastErrorAt = DateTimeOffset.UtcNow,
    });

    private static string Describe(Exception? ex) => ex switch
    {
        null => "failed",
        TimeoutRejectedException => "no answer within the attempt timeout",
        HttpRequestException h => h.Message,
        _ => ex.Message,
    };

    private void Run()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                Consume(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                // The consumer is gone (broker trouble, a failed commit): start a new one at the committed offsets.
                Failed(ex);
                ConsumerFailed(_logger, ex, _trigger.Id);
                ct.WaitHandle.WaitOne(_options.RetryDelay);
            }
        }
    }

    private void Consume(CancellationToken ct)
    {
        var options = _kafka.Kafka;
        var topics = _trigger.Spec.Topics.Select(_kafka.TopicOf).ToList();
        if (_trigger.Spec.Destination.Kind == TriggerDestinationKind.Topic)
            _kafka.Pool.DiscoverAsync(options, [_kafka.TopicOf(_trigger.Spec.Destination.Topic!)], ct).GetAwaiter().GetResult(); // created when missing
        var config = new ConsumerConfig(TriggerOffsets.Common(options, "trigger-" + _trigger.Id))
        {
            GroupId = _kafka.GroupOf(_trigger),
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            // Offsets were committed when the trigger was created; this applies only to partitions added since.
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchWaitMaxMs = (int)_kafka.Pool.FetchWait(options).TotalMilliseconds, // short on the mock cluster, Kafka's default on a broker
            // How soon the group notices a silo that died without leaving (its partitions wait that long). librdkafka's mock
            // cluster also makes a member that joins an emptied group wait about this long.
            SessionTimeoutMs = (int)_options.SessionTimeout.TotalMilliseconds,
            HeartbeatIntervalMs = (int)Math.Max(500, _options.SessionTimeout.TotalMilliseconds / 3),
        };
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetErrorHandler((_, e) => { if (e.IsFatal) ConsumerError(_logger, _trigger.Id, e.Reason); })
            .SetPartitionsAssignedHandler((_, partitions) => { lock (_assigned) _assigned.UnionWith(partitions); })
            .SetPartitionsRevokedHandler((c, partitions) => Revoked(c, partitions, lost: false))
            .SetPartitionsLostHandler((c, partitions) => Revoked(c, partitions, lost: true))
            .Build();
        consumer.Subscribe(topics);
        var lastCommit = DateTime.UtcNow;
        void CommitPending()
        {
            List<TopicPartitionOffset> offsets;
            lock (_pending)
            {
                offsets = _pending.Select(p => new TopicPartitionOffset(p.Key, p.Value)).ToList();
                _pending.Clear();
            }
            if (offsets.Count > 0) consumer.Commit(offsets);
            lastCommit = DateTime.UtcNow;
        }
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var record = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (record?.Message is null)
                {
                    CommitPending(); // idle: what was skipped is committed too
                    continue;
                }
                bool delivered;
                try
                {
                    delivered = Handle(record, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Neither delivered nor dead-lettered (the dead-letter topic did not answer): read it again.
                    Failed(ex);
                    HandlingFailed(_logger, ex, _trigger.Id, record.TopicPartitionOffset.ToString());
                    consumer.Seek(record.TopicPartitionOffset);
                    ct.WaitHandle.WaitOne(_options.RetryDelay);
                    continue;
                }
                lock (_pending) _pending[record.TopicPartition] = record.Offset + 1;
                // A delivery (or dead letter) is committed at once; events the filter skipped at most every 200 ms or when
                // idle, so a selective trigger on a busy topic does not pay one commit per event. Losing a skip's commit
                // only means reading it again.
                if (delivered || DateTime.UtcNow - lastCommit > TimeSpan.FromMilliseconds(200)) CommitPending();
            }
            CommitPending();
        }
        finally
        {
            lock (_assigned) _assigned.Clear();
            lock (_pending) _pending.Clear();
            try { consumer.Close(); } catch (KafkaException) { /* leaving the group is best effort; the offsets are committed */ }
        }
    }

    /// <summary>Offsets handled and not yet committed, per partition (dropped for partitions the group takes away).</summary>
    private readonly Dictionary<TopicPartition, Offset> _pending = [];

    /// <summary>True when the event went to the destination or the dead-letter topic; false when it was skipped.</summary>
    private bool Handle(ConsumeResult<byte[], byte[]> record, CancellationToken ct)
    {
        var written = CloudEventKafkaMapping.WrittenAt(record.Message.Timestamp);
        if (!CloudEventKafkaMapping.TryParse(record.Message.Headers, record.Message.Value, written, out var e, out _) || !_filter.Matches(e!))
        {
            // Not a CloudEvent (its topic's own stage dead-letters it) or not wanted: nothing to deliver.
            Count(s => s with { Skipped = s.Skipped + 1 });
            return false;
        }
        try
        {
            _retries.ExecuteAsync(async token => await _destination.SendAsync(e!, record.Message.Key, token).ConfigureAwait(false), ct)
                .AsTask().GetAwaiter().GetResult();
            Count(s => s with { Delivered = s.Delivered + 1, LastDeliveredAt = DateTimeOffset.UtcNow });
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            Failed(ex);
            var reason = $"trigger '{_trigger.Spec.Name}' ({_trigger.Id}): delivery to {_trigger.Spec.Destination} failed: {Describe(ex)}"
                + (ex is TriggerDeliveryException { Retryable: false } ? " (not retried)" : $" (after {_options.MaxAttempts} attempts)");
            DeadLetter(record, reason, ct);
            Count(s => s with { DeadLettered = s.DeadLettered + 1 });
            DeadLettered(_logger, e!.Type, e.Id, _trigger.Id, reason);
        }
        return true;
    }

    /// <summary>The original message, unchanged, on the dead-letter topic with the headers the platform's own dead letters carry.</summary>
    private void DeadLetter(ConsumeResult<byte[], byte[]> record, string reason, CancellationToken ct)
    {
        var headers = new Headers();
        foreach (var h in record.Message.Headers ?? []) headers.Add(h.Key, h.GetValueBytes());
        void Add(string name, string value) => headers.Add(name, Encoding.UTF8.GetBytes(value));
        Add("dlq_reason", reason);
        Add("dlq_stage", "trigger-" + _trigger.Id);
        Add("dlq_topic", record.Topic);
        Add("dlq_partition", record.Partition.Value.ToString(CultureInfo.InvariantCulture));
        Add("dlq_offset", record.Offset.Value.ToString(CultureInfo.InvariantCulture));
        Add("dlq_time", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        _kafka.Pool.Producer(_kafka.Kafka).ProduceAsync(_kafka.Kafka.DeadLetterTopic,
            new Message<byte[], byte[]> { Key = record.Message.Key, Value = record.Message.Value, Headers = headers }, ct).GetAwaiter().GetResult();
    }

    /// <summary>
    /// Before a rebalance takes partitions away: commit what was handled on them (still ours to commit), then forget it;
    /// lost partitions (the session expired) may already be another silo's, so theirs are only forgotten.
    /// </summary>
    private void Revoked(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> partitions, bool lost)
    {
        var gone = partitions.Select(p => p.TopicPartition).ToHashSet();
        lock (_assigned) _assigned.ExceptWith(gone);
        List<TopicPartitionOffset> offsets;
        lock (_pending)
        {
            offsets = _pending.Where(p => gone.Contains(p.Key)).Select(p => new TopicPartitionOffset(p.Key, p.Value)).ToList();
            foreach (var p in gone) _pending.Remove(p);
        }
        if (lost || offsets.Count == 0) return;
        try { consumer.Commit(offsets); }
        catch (KafkaException ex) { HandlingFailed(_logger, ex, _trigger.Id, "commit before rebalance"); } // read again by the next owner
    }

    /// <summary>
    /// Asks the loop to stop without waiting: a runner stopping several triggers asks them all first, so their
    /// consumers leave their groups at the same time rather than one after another.
    /// </summary>
    public void RequestStop()
    {
        _stop.Cancel();
    }

    /// <summary>Stops the loop (an event being retried stays uncommitted) and waits for the consumer to leave its group.</summary>
    public void Dispose()
    {
        RequestStop();
        // The token source is left to the collector, not disposed: a thread still inside a call after the wait reads
        // its token again, and a disposed one would throw there, outside any handler, and end the process.
        if (_thread.IsAlive && !_thread.Join(TimeSpan.FromSeconds(30)))
            _logger.LogWarning("Trigger {Id}: its consumer did not stop within 30 s", _trigger.Id);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trigger {Id}: consumer failed; starting a new one at the committed offsets")]
    private static partial void ConsumerFailed(ILogger logger, Exception ex, string id);

    [LoggerMessage(Level = LogLevel.Error, Message = "Trigger {Id}: fatal consumer error {Reason}")]
    private static partial void ConsumerError(ILogger logger, string id, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trigger {Id}: could not deliver or dead-letter {Position}; reading it again")]
    private static partial void HandlingFailed(ILogger logger, Exception ex, string id, string position);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered {Type} {EventId} (trigger {Id}): {Reason}")]
    private static partial void DeadLettered(ILogger logger, string type, string eventId, string id, string reason);
}
