namespace Grains.Tests.Infrastructure;

/// <summary>Waits for a condition with a deadline: the tests' only way to wait (no fixed sleeps).</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(30);

    public static async Task True(Func<bool> condition, string what, TimeSpan? deadline = null)
    {
        var end = DateTime.UtcNow + (deadline ?? DefaultDeadline);
        while (!condition())
        {
            if (DateTime.UtcNow > end) throw new TimeoutException($"Timed out after {(deadline ?? DefaultDeadline).TotalSeconds:0} s waiting for: {what}");
            await Task.Delay(20);
        }
    }

    public static async Task True(Func<Task<bool>> condition, string what, TimeSpan? deadline = null)
    {
        var end = DateTime.UtcNow + (deadline ?? DefaultDeadline);
        while (!await condition())
        {
            if (DateTime.UtcNow > end) throw new TimeoutException($"Timed out after {(deadline ?? DefaultDeadline).TotalSeconds:0} s waiting for: {what}");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until <paramref name="read"/> gives a value (not null), and returns it.</summary>
    public static async Task<T> Value<T>(Func<Task<T?>> read, string what, TimeSpan? deadline = null) where T : class
    {
        T? value = null;
        await True(async () => (value = await read()) is not null, what, deadline);
        return value!;
    }
}
