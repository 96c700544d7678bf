using Grains.Pipeline;
using Microsoft.Extensions.Options;

namespace Grains.Scheduling;

/// <summary>Classes of model work in priority order. Background work (e.g. summaries) yields to all chat.</summary>
public enum WorkClass { Enterprise, Pro, Free, Background }

/// <summary>What the scheduler does when a class's queue wait would break its target.</summary>
public enum OverloadAction
{
    /// <summary>Keep waiting (the class is served first anyway).</summary>
    Wait,

    /// <summary>Send it to the class's fallback backend (a smaller or cheaper model) instead.</summary>
    Fallback,

    /// <summary>Tell the customer "we're busy, we'll answer shortly" now and keep the request queued.</summary>
    Busy,

    /// <summary>Answer politely that we're too busy, without the model (free tier only).</summary>
    Shed,
}

/// <summary>One model endpoint and what it can take.</summary>
public sealed class BackendOptions
{
    public string Name { get; set; } = "default";

    /// <summary>catalog, ollama or openai; unset = the <c>Model</c> section's client.</summary>
    public string? Provider { get; set; }
    public string? Endpoint { get; set; }
    public string? Model { get; set; }
    public string? ApiKey { get; set; }

    /// <summary>Concurrent calls this silo may have open against the backend.</summary>
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>Token budget per minute for this silo (0 = no limit).</summary>
    public int TokensPerMinute { get; set; }
}

/// <summary>How one class is scheduled: where it may run, what is reserved for it, its targets and its overload action.</summary>
public sealed class ClassOptions
{
    /// <summary>Backends in order of preference; the next one is used when the first is full or its circuit is open.</summary>
    public List<string> Backends { get; set; } = ["default"];

    /// <summary>Slots on each of its backends that only this class may use (a dedicated lane).</summary>
    public int ReservedSlots { get; set; }

    /// <summary>Where <see cref="OverloadAction.Fallback"/> sends work.</summary>
    public string? FallbackBackend { get; set; }

    public OverloadAction OverloadAction { get; set; } = OverloadAction.Wait;

    /// <summary>Queue-wait target: a request that would wait longer gets the overload action.</summary>
    public TimeSpan MaxQueueWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>End-to-end latency target (p95) shown on the SLA dashboard and used for the error budget.</summary>
    public TimeSpan EndToEndTarget { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Base priority: higher is served first.</summary>
    public double Priority { get; set; }

    /// <summary>Priority gained per second of waiting, so lower classes never starve.</summary>
    public double AgingPerSecond { get; set; }
}

/// <summary>Settings section <c>Scheduling</c>.</summary>
public sealed class SchedulerOptions
{
    public const string Section = "Scheduling";

    public List<BackendOptions> Backends { get; set; } = [new()];

    public ClassOptions Enterprise { get; set; } = new()
    {
        Priority = 300, MaxQueueWait = TimeSpan.FromSeconds(2), EndToEndTarget = TimeSpan.FromSeconds(5), OverloadAction = OverloadAction.Wait, ReservedSlots = 2,
    };

    public ClassOptions Pro { get; set; } = new()
    {
        Priority = 200, AgingPerSecond = 5, MaxQueueWait = TimeSpan.FromSeconds(5), EndToEndTarget = TimeSpan.FromSeconds(10), OverloadAction = OverloadAction.Busy, ReservedSlots = 1,
    };

    public ClassOptions Free { get; set; } = new()
    {
        Priority = 100, AgingPerSecond = 10, MaxQueueWait = TimeSpan.FromSeconds(10), EndToEndTarget = TimeSpan.FromSeconds(20), OverloadAction = OverloadAction.Shed,
    };

    public ClassOptions Background { get; set; } = new()
    {
        Priority = 0, MaxQueueWait = TimeSpan.FromSeconds(60), EndToEndTarget = TimeSpan.FromSeconds(120),
    };

    /// <summary>Consecutive failures that open a backend's circuit, and how long it stays open.</summary>
    public int BreakerFailures { get; set; } = 3;
    public TimeSpan BreakerOpenFor { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often waiting work is re-examined (aging, overload, token refill, half-open circuits).</summary>
    public TimeSpan TickPeriod { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Share of turns that must meet the end-to-end target (the error budget is the rest).</summary>
    public double SloTarget { get; set; } = 0.99;

    public ClassOptions For(WorkClass c) => c switch
    {
        WorkClass.Enterprise => Enterprise,
        WorkClass.Pro => Pro,
        WorkClass.Free => Free,
        _ => Background,
    };

    public static WorkClass ClassOf(Tier tier) => tier switch
    {
        Tier.Enterprise => WorkClass.Enterprise,
        Tier.Pro => WorkClass.Pro,
        _ => WorkClass.Free,
    };
}

public sealed class SchedulerOptionsValidator : IValidateOptions<SchedulerOptions>
{
    public ValidateOptionsResult Validate(string? name, SchedulerOptions o)
    {
        var errors = new List<string>();
        var backends = o.Backends.Select(b => b.Name).ToHashSet(StringComparer.Ordinal);
        if (o.Backends.Count == 0) errors.Add("Scheduling:Backends: configure at least one backend.");
        foreach (var b in o.Backends.Where(b => b.MaxConcurrency < 1))
            errors.Add($"Scheduling:Backends ({b.Name}): MaxConcurrency must be at least 1.");
        foreach (var c in Enum.GetValues<WorkClass>())
        {
            var options = o.For(c);
            foreach (var missing in options.Backends.Append(options.FallbackBackend).OfType<string>().Where(n => !backends.Contains(n)))
                errors.Add($"Scheduling:{c}: unknown backend '{missing}' (backends: {string.Join(", ", backends)}).");
            if (options.Backends.Count == 0) errors.Add($"Scheduling:{c}: give it at least one backend.");
            if (options.OverloadAction == OverloadAction.Shed && c is WorkClass.Enterprise or WorkClass.Pro)
                errors.Add($"Scheduling:{c}: shedding is for the free tier only; use Fallback, Busy or Wait.");
            if (options.OverloadAction == OverloadAction.Fallback && options.FallbackBackend is null)
                errors.Add($"Scheduling:{c}: OverloadAction Fallback needs a FallbackBackend.");
        }
        foreach (var b in o.Backends)
        {
            var reserved = Enum.GetValues<WorkClass>().Where(c => o.For(c).Backends.Contains(b.Name)).Sum(c => o.For(c).ReservedSlots);
            if (reserved >= b.MaxConcurrency)
                errors.Add($"Scheduling:Backends ({b.Name}): reserved slots ({reserved}) must leave a shared slot (MaxConcurrency {b.MaxConcurrency}).");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
