using Grains.Control;

namespace Portal.Services;

/// <summary>
/// What a customer whose message is still pending should be told: that answers are delayed when an
/// operator has paused a stage or the customer's business, or that it takes longer than usual when
/// nothing is paused but the answer is slow (a busy model). Read from the control grains on demand,
/// only while a message waits, so an idle chat costs nothing.
/// </summary>
public static class DelayNotice
{
    /// <summary>How long a pending message waits before a slow answer is mentioned at all.</summary>
    public static readonly TimeSpan Slow = TimeSpan.FromSeconds(15);

    public const string Paused =
        "Answers are delayed: our team has paused part of the service for a moment. Your message is safe and will be answered as soon as it resumes.";

    public const string Busy =
        "This is taking longer than usual: the assistant is busy. Your message is safe and will be answered.";

    /// <summary>The notice for a message of <paramref name="tenantId"/> pending for <paramref name="waited"/>, or null.</summary>
    public static async Task<string?> ForAsync(IGrainFactory grains, string tenantId, TimeSpan waited)
    {
        var stages = await grains.GetGrain<IControlGrain>(0).GetStages();
        if (stages.Any(s => s.Paused)) return Paused;
        var gate = await grains.GetGrain<ITenantGateGrain>(tenantId).Status();
        if (gate.Paused) return Paused;
        return waited >= Slow ? Busy : null;
    }
}
