using Microsoft.Extensions.AI;

namespace Bench;

/// <summary>A model that takes a fixed time per call: the backend's capacity is then exactly slots ÷ call time.</summary>
internal sealed class FixedTimeModel(TimeSpan callTime) : IChatClient
{
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        await Task.Delay(callTime, cancellationToken);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, "Happy to help: our team recommends the model that fits your needs.")) { ModelId = "fixed-time-stub" };
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}
