namespace Grains.Hosting;

/// <summary>
/// The platform's one way to store a grain's state after changing it in memory. When the write fails (a storage
/// outage, a stale etag after a silo crash), the in-memory state is ahead of what is stored: the activation is
/// dropped, so the caller's retry (a redelivered event, a person trying again) starts from what is stored instead
/// of finding the change "already done" and never storing it.
/// </summary>
public static class StateWrites
{
    public static async Task WriteOrDropAsync<T>(this IPersistentState<T> state, IGrainBase grain)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            grain.DeactivateOnIdle();
            throw;
        }
    }
}
