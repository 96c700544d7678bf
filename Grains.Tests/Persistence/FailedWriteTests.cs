using System.Collections.Concurrent;
using Grains.Approvals;
using Grains.Control;
using Grains.Hosting;
using Grains.Pipeline;
using Grains.Tests.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace Grains.Tests.Persistence;

/// <summary>
/// A state write that fails (storage outage, stale etag after a crash) must not leave the grain believing what was
/// never stored: the retry of a hold stores it, a switch that failed does not show as on.
/// </summary>
public sealed class FailedWriteTests(FailedWriteTests.Cluster cluster) : IClassFixture<FailedWriteTests.Cluster>
{
    public sealed class Cluster : PipelineCluster
    {
        public FlakyStorage Storage { get; } = new();

        protected override void Configure(ISiloBuilder silo)
        {
            foreach (var name in new[] { GrainStores.Control, GrainStores.Approvals })
                silo.Services.AddKeyedSingleton<IGrainStorage>(name, (sp, _) => Storage.With(sp.GetRequiredService<DeepCopier>()));
        }
    }

    [Fact]
    public async Task A_held_answer_whose_queue_write_failed_is_stored_when_the_hold_is_delivered_again()
    {
        var queue = cluster.Client.GetGrain<IApprovalQueueGrain>("review-" + Guid.NewGuid().ToString("N")[..8]);
        var turn = new ChatTurn
        {
            TurnId = "held0001", TenantId = "stuttgart-motors", SessionId = "s-" + Guid.NewGuid().ToString("N"), Tier = Tier.Enterprise,
            Text = "Which electric car do you have?", Answer = "The EQS.", SubmittedAt = DateTimeOffset.UtcNow,
        };
        var item = new ApprovalItem(turn, DateTimeOffset.UtcNow);

        cluster.Storage.FailNextWrite();
        await Assert.ThrowsAnyAsync<Exception>(() => queue.Add(item));
        await queue.Add(item); // the redelivery

        Assert.True(cluster.Storage.Holds(queue.GetGrainId(), s => s is ApprovalQueueState q && q.Items.ContainsKey("held0001")),
            "the retried hold is in the store, not only in the activation's memory");
        Assert.Contains(await queue.Pending(), p => p.Turn.TurnId == "held0001");
    }

    [Fact]
    public async Task A_pause_whose_write_failed_does_not_show_as_paused()
    {
        var control = cluster.Client.GetGrain<IControlGrain>(0);
        cluster.Storage.FailNextWrite();
        await Assert.ThrowsAnyAsync<Exception>(() => control.PauseStage(Stage.OutputGuardrail.Name, "operator", "maintenance"));

        // The operator saw an error; the control room must not show a pause that a restart would forget.
        await Infrastructure.Eventually.True(async () => !(await control.GetStages()).Single(s => s.Stage == Stage.OutputGuardrail.Name).Paused,
            "the failed pause is not shown as in force");
        Assert.DoesNotContain(await control.GetHistory(), c => c.Stage == Stage.OutputGuardrail.Name && c.Reason == "maintenance");
    }
}

/// <summary>Grain storage in memory (copies, like a real store) that fails the next write when told to.</summary>
public sealed class FlakyStorage : IGrainStorage
{
    private readonly ConcurrentDictionary<(string, GrainId), (object State, int Version)> _stored = new();
    private DeepCopier? _copier;
    private int _failNext;

    public FlakyStorage With(DeepCopier copier)
    {
        _copier ??= copier;
        return this;
    }

    public void FailNextWrite() => Interlocked.Exchange(ref _failNext, 1);

    public bool Holds(GrainId grain, Func<object, bool> test) => _stored.Any(kv => kv.Key.Item2 == grain && test(kv.Value.State));

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_stored.TryGetValue((stateName, grainId), out var stored))
        {
            grainState.State = _copier!.Copy((T)stored.State);
            grainState.ETag = stored.Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
            grainState.RecordExists = true;
        }
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (Interlocked.Exchange(ref _failNext, 0) == 1) throw new InvalidOperationException("storage unavailable (test)");
        var version = _stored.TryGetValue((stateName, grainId), out var stored) ? stored.Version + 1 : 1;
        _stored[(stateName, grainId)] = (_copier!.Copy(grainState.State)!, version);
        grainState.ETag = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        _stored.TryRemove((stateName, grainId), out _);
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }
}
