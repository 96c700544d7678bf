using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Grains.Hosting;

/// <summary>
/// Every silo start logged "Participant check thread has not completed for 04:38:57 … deadlock". Not a deadlock: in
/// Orleans 10.4's <c>Watchdog.Start</c> the platform watchdog thread starts before the component watchdog's timestamp is
/// set, so its first check can measure from timestamp 0, i.e. the machine's uptime. This filter drops exactly that
/// warning when the stall it reports is longer than this process has existed (impossible for a real stall); real
/// stalls are still logged.
/// </summary>
public static class WatchdogStartupAlarm
{
    private const string Category = "Orleans.Runtime.Watchdog";

    /// <summary>Wraps the logger providers registered so far (call after the host's logging is configured).</summary>
    public static ILoggingBuilder DropWatchdogStartupAlarm(this ILoggingBuilder logging)
    {
        foreach (var descriptor in logging.Services.Where(d => d.ServiceType == typeof(ILoggerProvider) && !d.IsKeyedService).ToList())
        {
            logging.Services.Remove(descriptor);
            logging.Services.AddSingleton<ILoggerProvider>(sp => new Provider(descriptor.ImplementationInstance as ILoggerProvider
                ?? descriptor.ImplementationFactory?.Invoke(sp) as ILoggerProvider
                ?? (ILoggerProvider)ActivatorUtilities.CreateInstance(sp, descriptor.ImplementationType!)));
        }
        return logging;
    }

    /// <summary>True for the start-up false alarm: the stall reported is longer than the process has run.</summary>
    internal static bool IsFalseAlarm<TState>(string category, TState state)
    {
        if (category != Category || state is not IReadOnlyList<KeyValuePair<string, object?>> values) return false;
        var stall = values.FirstOrDefault(v => v.Key == "TimeSinceLastTick").Value as TimeSpan?;
        var message = values.FirstOrDefault(v => v.Key == "{OriginalFormat}").Value as string;
        return stall is { } duration && message?.StartsWith("Participant check thread", StringComparison.Ordinal) == true
            && duration > DateTime.Now - Process.GetCurrentProcess().StartTime;
    }

    private sealed class Provider(ILoggerProvider inner) : ILoggerProvider, ISupportExternalScope
    {
        public ILogger CreateLogger(string categoryName) =>
            categoryName == Category ? new Logger(inner.CreateLogger(categoryName), categoryName) : inner.CreateLogger(categoryName);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => (inner as ISupportExternalScope)?.SetScopeProvider(scopeProvider);

        public void Dispose() => inner.Dispose();
    }

    private sealed class Logger(ILogger inner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsFalseAlarm(category, state)) inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
