using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Grains.Hosting;
using Grains.Pipeline;
using Grains.Tests.Infrastructure;
using Grains.Tests.Pipeline;
using Grains.Triggers;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Streaming.Kafka.Events;

namespace Grains.Tests.Triggers;

/// <summary>The platform with quick trigger settings: registry read every 200 ms, 3 attempts 20 ms apart.</summary>
public sealed class TriggerCluster : PipelineCluster
{
    public const int MaxAttempts = 3;

    protected override void Configure(ISiloBuilder silo) => TriggerEvents.Quick(silo.Services);
}

/// <summary>Writing test events on a platform topic the way any producer does (CloudEvents Kafka binding), and reading what triggers did.</summary>
public static class TriggerEvents
{
    /// <summary>A platform topic only the audit stage reads, so test events reach no pipeline stage.</summary>
    public const string Source = Topics.GuardrailVerdicts;

    public static void Quick(IServiceCollection services) => services.Configure<TriggerOptions>(o =>
    {
        o.RefreshInterval = TimeSpan.FromMilliseconds(200);
        o.MaxAttempts = TriggerCluster.MaxAttempts;
        o.RetryDelay = TimeSpan.FromMilliseconds(20);
        // Long enough that a loaded machine's slow loopback answer is not taken for a failure (its retry would deliver the
        // event a second time, as at-least-once allows); what the tests retry is a 500, answered at once.
        o.AttemptTimeout = TimeSpan.FromSeconds(30);
        o.SessionTimeout = TimeSpan.FromSeconds(6); // the lowest a real broker allows by default
    });

    public static string EventId(string run, long seq) => $"{run}-{seq}";

    public static async Task WriteAsync(IProducer<byte[], byte[]> producer, string prefix, string run, string key, long seq, string tier = "pro")
    {
        var e = CloudEvent.Create("test.trigger.event", "/tests/triggers", new { run, key, seq, tier }, id: EventId(run, seq))
            .WithExtension("tenantid", "stuttgart-motors").WithExtension("tier", tier).WithExtension("sessionid", key);
        await producer.ProduceAsync(prefix + Source, new Message<byte[], byte[]>
        {
            Key = Encoding.UTF8.GetBytes(key), Value = CloudEventKafkaMapping.ToValue(e), Headers = CloudEventKafkaMapping.ToHeaders(e),
        });
    }

    public static TriggerSpec Spec(string run, string url, TriggerStart start = TriggerStart.Latest) => new()
    {
        Name = "webhook " + run,
        Topics = [Source],
        Filter = new TriggerFilterSpec { Types = ["test.trigger.event"], TenantId = "stuttgart-motors", Expression = $"data.run == \"{run}\" and data.tier != \"free\"" },
        Destination = new TriggerDestination { Kind = TriggerDestinationKind.Http, Url = url },
        Start = start,
    };

    public static long Seq(ReceivedRequest r) => JsonDocument.Parse(r.Body).RootElement.GetProperty("seq").GetInt64();

    public static string NewRun() => "r" + Guid.NewGuid().ToString("N")[..10];

    public static async Task<TriggerStats> StatsAsync(IGrainFactory grains, string id) =>
        (await grains.GetGrain<ITriggerRegistryGrain>(0).GetStats()).GetValueOrDefault(id) ?? TriggerStats.None;
}

/// <summary>Triggers on the platform's own cluster and the test Kafka: consumers added, paused, resumed at runtime.</summary>
public sealed class TriggerTests(TriggerCluster platform) : IClassFixture<TriggerCluster>, IDisposable
{
    private readonly IProducer<byte[], byte[]> _producer = TestKafka.PlainProducer();
    private readonly LoopbackEventSink _sink = new();

    private ITriggerRegistryGrain Registry => platform.Client.GetGrain<ITriggerRegistryGrain>(0);

    private IServiceProvider Silo => platform.Cluster.Silos[0].ServiceProvider;

    public void Dispose()
    {
        _producer.Dispose();
        _sink.Dispose();
    }

    private Task WriteAsync(string run, string key, long seq, string tier = "pro") => TriggerEvents.WriteAsync(_producer, platform.Prefix, run, key, seq, tier);

    private Task<ReceivedRequest[]> Delivered(string run) =>
        Task.FromResult(_sink.Accepted.Where(r => r.Body.Contains(run, StringComparison.Ordinal)).ToArray());

    [Fact]
    public async Task A_trigger_added_while_events_flow_gets_every_later_event_once_in_order_per_key_as_binary_mode_CloudEvents()
    {
        var run = TriggerEvents.NewRun();
        string[] keys = [$"{run}-a", $"{run}-b", $"{run}-c"];
        var written = new ConcurrentBag<long>();
        using var stop = new CancellationTokenSource();
        var flow = Task.Run(async () =>
        {
            for (long seq = 1; !stop.IsCancellationRequested; seq++)
            {
                await WriteAsync(run, keys[seq % keys.Length], seq, tier: seq % 5 == 0 ? "free" : "pro");
                written.Add(seq);
                await Task.Delay(5); // pacing: a steady flow, not a burst
            }
        });
        long before, after, last;
        TriggerDefinition trigger;
        try
        {
            // How fast the flow goes is not what is tested (under a loaded machine a produce can take a while): the
            // deadlines of these two waits only bound a stalled writer.
            await Eventually.True(() => written.Count >= 30, "events flow", TimeSpan.FromMinutes(2));
            before = written.Max();
            trigger = await Registry.Create(TriggerEvents.Spec(run, _sink.Url), "ops@example.com");
            after = written.Max() + 1;
            await Eventually.True(() => written.Count >= after + 60, "60 more events after the trigger was added", TimeSpan.FromMinutes(2));
        }
        finally
        {
            await stop.CancelAsync();
            await flow;
        }
        last = written.Max();

        var wanted = Enumerable.Range((int)after, (int)(last - after + 1)).Select(i => (long)i).Where(s => s % 5 != 0).ToList(); // free-tier ones are filtered out
        await Eventually.True(async () => (await Delivered(run)).Select(TriggerEvents.Seq).ToHashSet().IsSupersetOf(wanted), $"events {after}..{last} delivered");
        var delivered = await Delivered(run);
        var seqs = delivered.Select(TriggerEvents.Seq).ToList();
        // Once each — unless an attempt failed and was retried after the destination had taken it (at-least-once): then
        // the registry's failed attempts account for every second copy.
        var copies = seqs.Count - seqs.Distinct().Count();
        if (copies > 0)
            await Eventually.True(async () => (await TriggerEvents.StatsAsync(platform.Client, trigger.Id)).FailedAttempts >= copies,
                $"{copies} events delivered twice: as many failed attempts to explain them");
        Assert.DoesNotContain(seqs, s => s <= before); // nothing from before it was added
        Assert.DoesNotContain(seqs, s => s % 5 == 0); // the filter held
        foreach (var key in keys)
        {
            var ofKey = delivered.Where(r => r["ce-sessionid"] == key).Select(TriggerEvents.Seq).ToList();
            Assert.Equal(ofKey.Order(), ofKey); // in order per key
        }

        var one = delivered.First(r => TriggerEvents.Seq(r) == wanted[0]);
        Assert.Equal(TriggerEvents.EventId(run, wanted[0]), one["ce-id"]);
        Assert.Equal("test.trigger.event", one["ce-type"]);
        Assert.Equal("/tests/triggers", one["ce-source"]);
        Assert.Equal("1.0", one["ce-specversion"]);
        Assert.Equal("stuttgart-motors", one["ce-tenantid"]);
        Assert.NotNull(one["ce-time"]);
        Assert.StartsWith("application/json", one.ContentType);
        using var body = JsonDocument.Parse(one.Body);
        Assert.Equal(run, body.RootElement.GetProperty("run").GetString()); // the body is the event's data, nothing around it

        await Eventually.True(async () => (await TriggerEvents.StatsAsync(platform.Client, trigger.Id)).Delivered == seqs.Distinct().Count(), "the registry counts what was delivered");
        await Eventually.True(async () => (await TriggerOffsets.For(Silo).LagAsync(trigger)).Total == 0, "no lag once everything is delivered");
        await Registry.Delete(trigger.Id, "ops@example.com");
    }

    [Fact]
    public async Task A_paused_trigger_holds_events_in_kafka_and_resume_delivers_each_once()
    {
        var run = TriggerEvents.NewRun();
        var trigger = await Registry.Create(TriggerEvents.Spec(run, _sink.Url), "ops@example.com");
        var runner = Silo.GetRequiredService<TriggerRunner>();
        await Eventually.True(() => runner.Running.Contains(trigger.Id), "the silo runs the new trigger");
        for (var seq = 1; seq <= 3; seq++) await WriteAsync(run, $"{run}-{seq % 2}", seq);
        await Eventually.True(async () => (await Delivered(run)).Length == 3, "3 events delivered");

        Assert.True(await Registry.Pause(trigger.Id, "ops@example.com"));
        await Eventually.True(() => !runner.Running.Contains(trigger.Id), "the consumer stopped");
        for (var seq = 4; seq <= 8; seq++) await WriteAsync(run, $"{run}-{seq % 2}", seq);
        var offsets = TriggerOffsets.For(Silo);
        await Eventually.True(async () => (await offsets.LagAsync(trigger)).Total == 5, "the 5 events wait in Kafka (lag 5)");
        Assert.Equal(3, (await Delivered(run)).Length); // nothing arrives while paused
        Assert.True((await Registry.GetSet()).Triggers.Single(t => t.Id == trigger.Id).Paused);

        Assert.True(await Registry.Resume(trigger.Id, "ops@example.com"));
        await Eventually.True(async () => (await Delivered(run)).Length >= 8, "the waiting events are delivered after resume");
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), (await Delivered(run)).Select(TriggerEvents.Seq).Order());
        await Eventually.True(async () => (await offsets.LagAsync(trigger)).Total == 0, "lag back to 0");
        await Registry.Delete(trigger.Id, "ops@example.com");
        await Eventually.True(() => !runner.Running.Contains(trigger.Id), "a deleted trigger's consumer stops");
        Assert.DoesNotContain((await Registry.GetSet()).Triggers, t => t.Id == trigger.Id);
    }

    [Fact]
    public async Task A_destination_answering_500_is_retried_then_the_event_is_dead_lettered_and_later_events_still_arrive()
    {
        var run = TriggerEvents.NewRun();
        var poison = TriggerEvents.EventId(run, 1);
        _sink.Answer = headers => headers.GetValueOrDefault("ce-id") == poison ? 500 : 200;
        var trigger = await Registry.Create(TriggerEvents.Spec(run, _sink.Url), "ops@example.com");
        var key = run + "-k";
        for (var seq = 1; seq <= 3; seq++) await WriteAsync(run, key, seq);

        await Eventually.True(async () => (await Delivered(run)).Length == 2, "the two later events arrive");
        Assert.Equal([2L, 3L], (await Delivered(run)).Select(TriggerEvents.Seq));
        Assert.Equal(TriggerCluster.MaxAttempts, _sink.All.Count(r => r["ce-id"] == poison)); // tried, retried, given up

        var letters = TestKafka.ReadTopic(platform.Topic(Topics.DeadLetter), 4,
            seen => seen.Any(m => Header(m, "dlq_stage") == "trigger-" + trigger.Id));
        var letter = Assert.Single(letters, m => Header(m, "dlq_stage") == "trigger-" + trigger.Id);
        Assert.Equal(poison, Header(letter, "ce_id"));
        Assert.Contains("500", Header(letter, "dlq_reason"));
        Assert.Contains($"after {TriggerCluster.MaxAttempts} attempts", Header(letter, "dlq_reason"));
        Assert.Equal(platform.Topic(TriggerEvents.Source), Header(letter, "dlq_topic"));
        Assert.True(long.TryParse(Header(letter, "dlq_offset"), out _));
        Assert.True(DateTimeOffset.TryParse(Header(letter, "dlq_time"), out _));
        Assert.Equal(key, Encoding.UTF8.GetString(letter.Message.Key));
        Assert.Contains(run, Encoding.UTF8.GetString(letter.Message.Value)); // the original value, unchanged

        await Eventually.True(async () => await TriggerEvents.StatsAsync(platform.Client, trigger.Id) is { Delivered: 2, DeadLettered: 1, FailedAttempts: TriggerCluster.MaxAttempts },
            "the registry counts 2 delivered, 1 dead-lettered, 3 failed attempts");
        Assert.Contains("500", (await TriggerEvents.StatsAsync(platform.Client, trigger.Id)).LastError);
        await Registry.Delete(trigger.Id, "ops@example.com");
    }

    [Fact]
    public async Task A_topic_destination_gets_the_events_with_the_platforms_CloudEvents_headers_and_key()
    {
        var run = TriggerEvents.NewRun();
        var spec = TriggerEvents.Spec(run, "") with { Destination = new TriggerDestination { Kind = TriggerDestinationKind.Topic, Topic = "crm.sync." + run } };
        var trigger = await Registry.Create(spec, "ops@example.com");
        for (var seq = 1; seq <= 3; seq++) await WriteAsync(run, $"{run}-k{seq}", seq);

        var copies = TestKafka.ReadTopic(platform.Topic("crm.sync." + run), 4, seen => seen.Count >= 3);
        Assert.Equal(3, copies.Count);
        foreach (var m in copies.OrderBy(m => Header(m, "ce_id")))
        {
            Assert.True(CloudEventKafkaMapping.TryParse(m.Message.Headers, m.Message.Value, out var e, out var error), error);
            Assert.Equal("test.trigger.event", Header(m, "ce_type"));
            Assert.Equal("/tests/triggers", Header(m, "ce_source"));
            Assert.Equal("1.0", Header(m, "ce_specversion"));
            Assert.Equal("application/json", Header(m, "content-type"));
            Assert.Equal("stuttgart-motors", Header(m, "ce_tenantid"));
            Assert.Equal(e!.Extension("sessionid"), Encoding.UTF8.GetString(m.Message.Key)); // the original key
            Assert.Contains(run, e.Data);
        }
        await Eventually.True(async () => (await TriggerEvents.StatsAsync(platform.Client, trigger.Id)).Delivered == 3, "3 counted as delivered");
        await Registry.Delete(trigger.Id, "ops@example.com");
    }

    [Fact]
    public async Task A_trigger_from_the_beginning_receives_events_written_before_it_existed()
    {
        var run = TriggerEvents.NewRun();
        for (var seq = 1; seq <= 4; seq++) await WriteAsync(run, $"{run}-{seq % 2}", seq);
        var late = await Registry.Create(TriggerEvents.Spec(run, _sink.Url, TriggerStart.Earliest), "ops@example.com");
        await Eventually.True(async () => (await Delivered(run)).Length >= 4, "the 4 earlier events delivered");
        await WriteAsync(run, $"{run}-0", 5);
        await Eventually.True(async () => (await Delivered(run)).Length >= 5, "and the later one");
        Assert.Equal([1L, 2L, 3L, 4L, 5L], (await Delivered(run)).Select(TriggerEvents.Seq).Order());
        await Registry.Delete(late.Id, "ops@example.com");
    }

    [Fact]
    public async Task A_bad_spec_is_refused_and_nothing_is_stored()
    {
        var before = await Registry.GetSet();
        var bad = TriggerEvents.Spec("x", _sink.Url) with { Filter = new TriggerFilterSpec { Expression = "data.tier = \"pro\"" } };
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => Registry.Create(bad, "ops@example.com"));
        Assert.Contains("filter.expression", ex.Message);
        Assert.Equal(before.Version, (await Registry.GetSet()).Version);
    }

    internal static string? Header(ConsumeResult<byte[], byte[]> m, string name) =>
        m.Message.Headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : null;
}

/// <summary>Definitions in durable storage (Redis): after the silo restarts the trigger runs again from its committed offsets, without being added again.</summary>
public sealed class TriggerRestartTests
{
    [Fact]
    public async Task A_trigger_survives_a_silo_restart_and_continues_from_its_committed_offsets()
    {
        var serviceId = "triggers-" + Guid.NewGuid().ToString("N")[..8];
        var prefix = TestKafka.UniquePrefix();
        var stores = new PlatformStoreOptions { Storage = StoreKind.Redis, Redis = TestRedis.ConnectionString };
        InProcessTestCluster NewCluster()
        {
            var kafka = new PlatformKafkaOptions { BootstrapServers = TestKafka.BootstrapServers, TopicPrefix = prefix, Embedded = TestKafka.Embedded };
            var builder = new InProcessTestClusterBuilder(1);
            builder.Options.ServiceId = serviceId;
            builder.ConfigureSilo((_, silo) =>
            {
                silo.Services.AddSingleton<IChatClient>(new ScriptedModel());
                silo.AddAgentPlatform(kafka, stores: stores);
                TriggerEvents.Quick(silo.Services);
            });
            return builder.Build();
        }

        using var sink = new LoopbackEventSink();
        using var producer = TestKafka.PlainProducer();
        var run = TriggerEvents.NewRun();
        string[] Ids() => sink.Accepted.Select(r => r["ce-id"]!).ToArray();

        var first = NewCluster();
        await first.DeployAsync();
        TriggerDefinition trigger;
        try
        {
            trigger = await first.Client.GetGrain<ITriggerRegistryGrain>(0).Create(TriggerEvents.Spec(run, sink.Url), "ops@example.com");
            for (var seq = 1; seq <= 3; seq++) await TriggerEvents.WriteAsync(producer, prefix, run, run + "-k", seq);
            await Eventually.True(() => Ids().Length == 3, "3 events delivered before the restart");
        }
        finally
        {
            await first.StopAllSilosAsync();
            await first.DisposeAsync();
        }

        // Written while no silo runs: they wait in Kafka under the trigger's group.
        for (var seq = 4; seq <= 6; seq++) await TriggerEvents.WriteAsync(producer, prefix, run, run + "-k", seq);

        var second = NewCluster();
        await second.DeployAsync();
        try
        {
            var set = await second.Client.GetGrain<ITriggerRegistryGrain>(0).GetSet();
            Assert.Equal(trigger.Id, Assert.Single(set.Triggers).Id); // read back from the store, not added again
            await Eventually.True(() => Ids().Length >= 6, "the events written during the restart are delivered");
            await TriggerEvents.WriteAsync(producer, prefix, run, run + "-k", 7);
            await Eventually.True(() => Ids().Length >= 7, "and new ones");
            Assert.Equal(Enumerable.Range(1, 7).Select(i => TriggerEvents.EventId(run, i)), Ids()); // each once, in order
        }
        finally
        {
            await second.StopAllSilosAsync();
            await second.DisposeAsync();
        }
    }
}

/// <summary>Two silos run the same trigger in one consumer group: Kafka splits the partitions between them, so each event arrives once.</summary>
public sealed class TriggerSharingTests
{
    [Fact]
    public async Task Every_silo_runs_the_trigger_in_one_group_and_kafka_splits_the_partitions_so_each_event_arrives_once()
    {
        var prefix = TestKafka.UniquePrefix();
        var kafka = new PlatformKafkaOptions { BootstrapServers = TestKafka.BootstrapServers, TopicPrefix = prefix, Embedded = TestKafka.Embedded };
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<IChatClient>(new ScriptedModel());
            silo.AddAgentPlatform(kafka);
            TriggerEvents.Quick(silo.Services);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        try
        {
            using var sink = new LoopbackEventSink();
            using var producer = TestKafka.PlainProducer();
            var run = TriggerEvents.NewRun();
            var trigger = await cluster.Client.GetGrain<ITriggerRegistryGrain>(0).Create(TriggerEvents.Spec(run, sink.Url), "ops@example.com");
            var runners = cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<TriggerRunner>()).ToList();
            await Eventually.True(() => runners.All(r => r.Assigned(trigger.Id).Count > 0) && runners.Sum(r => r.Assigned(trigger.Id).Count) == kafka.Partitions,
                $"both silos consume a share of the {kafka.Partitions} partitions");
            var shares = runners.Select(r => r.Assigned(trigger.Id).Select(p => p.Partition.Value).ToHashSet()).ToList();
            Assert.Empty(shares[0].Intersect(shares[1])); // no partition on two silos

            for (var seq = 1; seq <= 40; seq++) await TriggerEvents.WriteAsync(producer, prefix, run, $"{run}-{seq}", seq);
            await Eventually.True(() => sink.Accepted.Count >= 40, "40 events delivered");
            var ids = sink.Accepted.Select(r => r["ce-id"]).ToList();
            Assert.Equal(40, ids.Distinct().Count());
            Assert.Equal(40, ids.Count); // once each, though two silos run the trigger
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }
}
