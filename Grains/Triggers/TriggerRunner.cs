using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Grains.Triggers;

/// <summary>Settings of every trigger (section <c>Triggers</c>).</summary>
public sealed class TriggerOptions
{
    public const string Section = "Triggers";

    /// <summary>How often each silo asks the registry for changes (a new, paused, resumed or deleted trigger applies within it).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Attempts per event (the first and the retries) before it is dead-lettered.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Backoff before the first retry; doubled per retry (with jitter) up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one HTTP request or produce may take before it counts as a failed attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The consumers' group session timeout: how long a dead silo's partitions of a trigger wait before another silo takes them.</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// In every silo: keeps one <see cref="TriggerConsumer"/> per trigger that is not paused, as the registry lists them
/// (polled every <see cref="TriggerOptions.RefreshInterval"/>; a version number says when something changed), and
/// reports each consumer's counts to the registry. Every silo runs every active trigger in the same consumer group,
/// so Kafka shares each trigger's partitions between the silos. Starts once the silo is active (grains answer) and
/// stops its consumers before the silo leaves the cluster; a silo that starts runs the active triggers from their
/// committed offsets.
/// </summary>
public sealed partial class TriggerRunner(
    IGrainFactory grains,
    TriggerOffsets kafka,
    IOptions<TriggerOptions> options,
    ILogger<TriggerRunner> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
    {
        Timeout = Timeout.InfiniteTimeSpan, // each attempt has its own timeout (TriggerOptions.AttemptTimeout)
    };

    private readonly Dictionary<string, TriggerConsumer> _running = [];
    private CancellationTokenSource? _stop;
    private Task? _loop;
    private long _version = -1;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(TriggerRunner), ServiceLifecycleStage.Active + 2, Start, Stop);

    /// <summary>The ids of the triggers this silo is consuming now (tests, diagnostics).</summary>
    public IReadOnlyCollection<string> Running
    {
        get { lock (_running) return _running.Keys.ToList(); }
    }

    /// <summary>The partitions of a trigger this silo consumes now (empty when it runs elsewhere or not at all).</summary>
    public IReadOnlyCollection<Confluent.Kafka.TopicPartition> Assigned(string id)
    {
        lock (_running) return _running.TryGetValue(id, out var consumer) ? consumer.Assigned : [];
    }

    private Task Start(CancellationToken ct)
    {
        _stop = new CancellationTokenSource();
        _loop = Task.Run(() => LoopAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task Stop(CancellationToken ct)
    {
        if (_stop is null) return;
        await _stop.CancelAsync();
        try
        {
            if (_loop is not null) await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        // Each consumer finishes its current event (or leaves it uncommitted), commits and leaves the group, so the
        // other silos take its partitions at once instead of after the session timeout.
        Apply(null);
        await Task.WhenAll(Leaving()).ConfigureAwait(false);
        try
        {
            await ReportAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            RefreshFailed(logger, ex); // last figures lost: only counts, never events
        }
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval);
        do
        {
            try
            {
                var registry = grains.GetGrain<ITriggerRegistryGrain>(0);
                var set = await registry.GetSet().ConfigureAwait(false);
                if (set.Version != _version)
                {
                    await Task.Run(() => Apply(set), ct).ConfigureAwait(false);
                    _version = set.Version;
                }
                await ReportAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                RefreshFailed(logger, ex); // the next tick tries again; running consumers go on meanwhile
            }
        }
        while (await WaitAsync(timer, ct).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct).ConfigureAwait(false); }
        catch (OperationCanceledException) { return false; }
    }

    /// <summary>Starts what is active and not running, stops what runs and is no longer active (null: stop all).</summary>
    private void Apply(TriggerSet? set)
    {
        var wanted = set?.Triggers.Where(t => !t.Paused).ToDictionary(t => t.Id) ?? [];
        List<TriggerConsumer> stopping;
        lock (_running)
        {
            stopping = _running.Values.Where(c => !wanted.ContainsKey(c.Id)).ToList();
            foreach (var c in stopping) _running.Remove(c.Id);
        }
        foreach (var consumer in stopping) consumer.RequestStop();
        foreach (var consumer in stopping)
        {
            PendingReports.Add((consumer.Id, consumer.TakeDelta()));
            // Leaving the group can take seconds (a join in progress must finish first): in the background, so a trigger
            // added or resumed meanwhile starts at once.
            var leaving = Task.Run(() =>
            {
                try
                {
                    consumer.Dispose();
                    PendingReports.Add((consumer.Id, consumer.TakeDelta()));
                    Stopped(logger, consumer.Id);
                }
                catch (Exception ex)
                {
                    StopFailed(logger, ex, consumer.Id); // never faults: the silo's stop waits for these tasks
                }
            });
            lock (_leaving)
            {
                _leaving.RemoveAll(t => t.IsCompleted);
                _leaving.Add(leaving);
            }
        }
        foreach (var trigger in wanted.Values)
        {
            lock (_running) if (_running.ContainsKey(trigger.Id)) continue;
            var consumer = new TriggerConsumer(trigger, kafka, Http, options.Value, logger);
            lock (_running) _running[trigger.Id] = consumer;
            consumer.Start();
            Started(logger, trigger.Id, trigger.Spec.Name, kafka.GroupOf(trigger));
        }
    }

    private readonly System.Collections.Concurrent.ConcurrentBag<(string Id, TriggerStats Delta)> PendingReports = [];

    /// <summary>Stopped consumers still leaving their groups (waited for when the silo stops).</summary>
    private readonly List<Task> _leaving = [];

    private Task[] Leaving()
    {
        lock (_leaving) return [.. _leaving];
    }

    private async Task ReportAsync()
    {
        List<(string Id, TriggerStats Delta)> reports = [];
        while (PendingReports.TryTake(out var pending)) reports.Add(pending);
        lock (_running) reports.AddRange(_running.Values.Select(c => (c.Id, c.TakeDelta())));
        var registry = grains.GetGrain<ITriggerRegistryGrain>(0);
        foreach (var (id, delta) in reports.Where(r => r.Delta != TriggerStats.None))
            await registry.Report(id, delta).ConfigureAwait(false);
    }

    public void Dispose()
    {
        lock (_running)
        {
            foreach (var c in _running.Values) c.RequestStop();
            foreach (var c in _running.Values) c.Dispose();
            _running.Clear();
        }
        Task.WaitAll(Leaving(), TimeSpan.FromSeconds(35));
        _stop?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Trigger {Id} '{Name}' consuming in group {Group}")]
    private static partial void Started(ILogger logger, string id, string name, string group);

    [LoggerMessage(Level = LogLevel.Information, Message = "Trigger {Id} stopped on this silo")]
    private static partial void Stopped(ILogger logger, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trigger {Id}: its consumer did not stop cleanly")]
    private static partial void StopFailed(ILogger logger, Exception ex, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Triggers: could not read the registry; trying again")]
    private static partial void RefreshFailed(ILogger logger, Exception ex);
}
