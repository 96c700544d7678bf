using Confluent.Kafka;
using Streaming.Kafka.Providers;

namespace Grains.Tests.Streaming;

/// <summary>The receiver's long poll: a read of an empty partition waits for the next message, not for a timer.</summary>
public sealed class PartitionBufferTests
{
    private static ConsumeResult<byte[], byte[]> Message(long offset) => new()
    {
        Topic = "t", Partition = 0, Offset = offset, Message = new Message<byte[], byte[]> { Key = [1], Value = [2] },
    };

    [Fact]
    public async Task A_waiting_read_is_woken_by_the_next_message_long_before_its_timeout()
    {
        var buffer = new PartitionBuffer(new KafkaTopicPartition("t", 0), capacity: 10);
        var waiting = buffer.WaitForMessagesAsync(TimeSpan.FromMinutes(10), CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        buffer.Add(Message(0));
        await waiting.WaitAsync(TimeSpan.FromSeconds(30)); // its own timeout is ten minutes: only the message can end it
        Assert.Single(buffer.Peek(10));
    }

    [Fact]
    public async Task A_read_with_messages_buffered_does_not_wait_and_an_idle_one_ends_at_its_timeout_or_cancellation()
    {
        var buffer = new PartitionBuffer(new KafkaTopicPartition("t", 0), capacity: 10);
        buffer.Add(Message(0));
        Assert.True(buffer.WaitForMessagesAsync(TimeSpan.FromMinutes(10), CancellationToken.None).IsCompleted);
        buffer.Remove(1);

        await buffer.WaitForMessagesAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)); // no exception
        using var stop = new CancellationTokenSource();
        var waiting = buffer.WaitForMessagesAsync(TimeSpan.FromMinutes(10), stop.Token);
        await stop.CancelAsync();
        await waiting.WaitAsync(TimeSpan.FromSeconds(30)); // shutdown releases it, without throwing
        Assert.Empty(buffer.Peek(10));
    }
}
