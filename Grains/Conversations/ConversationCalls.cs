using Orleans.Runtime;

namespace Grains.Conversations;

/// <summary>How a front end sends a customer's message, the same for the portal and the tools that act like it.</summary>
public static class ConversationCalls
{
    /// <summary>
    /// <see cref="IConversationGrain.Send"/>, retried when Orleans rejected the call without delivering it (its silo
    /// had just died and the cluster had not noticed yet), so the customer does not see an error for it. Anything
    /// else (a timeout: the message may have been accepted) is left to the caller, as a retry could send it twice.
    /// </summary>
    public static async Task<SendResult> SendAsync(this IConversationGrain grain, string text, string? clientAddress = null, int attempts = 6)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await grain.Send(text, clientAddress);
            }
            catch (OrleansMessageRejectionException) when (attempt < attempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250 * attempt)); // membership needs a moment to route around the dead silo
            }
        }
    }
}
