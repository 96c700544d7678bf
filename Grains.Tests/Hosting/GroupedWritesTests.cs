using Grains.Hosting;
using Grains.Tests.Infrastructure;

namespace Grains.Tests.Hosting;

/// <summary>
/// Group commit as a reentrant grain uses it, on a one-at-a-time scheduler like a grain's: changes made while a write
/// runs share the next write, and nobody is answered before a write holding their change is stored.
/// </summary>
public sealed class GroupedWritesTests
{
    [Fact]
    public async Task Changes_made_while_a_write_runs_share_the_next_write_and_each_waits_for_a_write_that_holds_it()
    {
        var state = new GatedState();
        var writes = new GroupedWrites(state.WriteStateAsync);
        var grain = new ConcurrentExclusiveSchedulerPair().ExclusiveScheduler;
        Task<T> OnGrain<T>(Func<Task<T>> work) => Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.None, grain).Unwrap();

        // The first change starts a write, which the store holds open.
        var first = await OnGrain(() => { state.State.Add(1); return Task.FromResult(writes.WriteAsync()); });
        await Eventually.True(() => state.Started == 1, "the first write started");

        // Three more changes while it runs: one task, the next write.
        var others = await OnGrain(() => Task.FromResult(Enumerable.Range(2, 3).Select(i => { state.State.Add(i); return writes.WriteAsync(); }).ToList()));
        _ = Assert.Single(others.Distinct());
        Assert.NotSame(first, others[0]);
        Assert.False(first.IsCompleted);

        state.Release();
        await first;
        Assert.Equal([1], state.Stored[0]);
        Assert.False(others[0].IsCompleted, "the second group is answered only once its own write is stored");
        await Eventually.True(() => state.Started == 2, "the second write started after the first");
        state.Release();
        await others[0];
        Assert.Equal([1, 2, 3, 4], state.Stored[1]);
        Assert.Equal(2, state.Started); // four changes, two writes

        // A change after everything was stored gets a write of its own.
        var last = await OnGrain(() => { state.State.Add(5); return Task.FromResult(writes.WriteAsync()); });
        await Eventually.True(() => state.Started == 3, "a third write");
        state.Release();
        await last;
        Assert.Equal([1, 2, 3, 4, 5], state.Stored[2]);
    }

    [Fact]
    public async Task With_a_linger_changes_close_together_share_one_write_even_when_none_is_under_way()
    {
        var state = new GatedState();
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var writes = new GroupedWrites(state.WriteStateAsync, TimeSpan.FromMilliseconds(20), clock);
        var grain = new ConcurrentExclusiveSchedulerPair().ExclusiveScheduler;
        Task<Task> Change(int i) => Task.Factory.StartNew(() => { state.State.Add(i); return writes.WriteAsync(); }, CancellationToken.None, TaskCreationOptions.None, grain);

        var first = await Change(1);
        clock.Advance(TimeSpan.FromMilliseconds(10));
        var second = await Change(2);
        Assert.Same(first, second);
        Assert.Equal(0, state.Started); // still lingering

        clock.Advance(TimeSpan.FromMilliseconds(10));
        await Eventually.True(() => state.Started == 1, "the write starts once the linger is over");
        var third = await Change(3); // during the write: the next group
        Assert.NotSame(first, third);
        state.Release();
        await first;
        Assert.Equal([1, 2], state.Stored[0]);

        clock.Advance(TimeSpan.FromMilliseconds(20));
        await Eventually.True(() => state.Started == 2, "the next group's write");
        state.Release();
        await third;
        Assert.Equal([1, 2, 3], state.Stored[1]);
    }

    /// <summary>A store whose writes wait until the test releases them, recording what each stored.</summary>
    private sealed class GatedState : IPersistentState<List<int>>
    {
        private readonly SemaphoreSlim _gate = new(0);
        private int _started;
        public int Started => Volatile.Read(ref _started);
        public List<List<int>> Stored { get; } = [];
        public void Release() => _gate.Release();

        public List<int> State { get; set; } = [];
        public string? Etag => null;
        public bool RecordExists => Stored.Count > 0;

        public async Task WriteStateAsync()
        {
            var snapshot = State.ToList(); // what this write holds: taken when it starts
            Interlocked.Increment(ref _started);
            await _gate.WaitAsync();
            Stored.Add(snapshot);
        }

        public Task ClearStateAsync() => throw new NotSupportedException();
        public Task ReadStateAsync() => throw new NotSupportedException();
    }
}
