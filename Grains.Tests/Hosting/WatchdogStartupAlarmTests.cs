using Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Grains.Tests.Hosting;

/// <summary>The Orleans watchdog's start-up false alarm is dropped; a real stall warning still reaches the log.</summary>
public sealed class WatchdogStartupAlarmTests
{
    [Fact]
    public void Only_a_participant_stall_longer_than_the_process_has_lived_is_dropped()
    {
        var recorded = new List<string>();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(new Recording(recorded)).DropWatchdogStartupAlarm());
        using var provider = services.BuildServiceProvider();
        var watchdog = provider.GetRequiredService<ILoggerFactory>().CreateLogger("Orleans.Runtime.Watchdog");
        const string Format = "Participant check thread has not completed for {TimeSinceLastTick}, potentially indicating lock contention or deadlock, CPU starvation, or another execution anomaly.";

        watchdog.LogWarning(Format, TimeSpan.FromDays(3));             // measured from timestamp 0: the machine's uptime
        watchdog.LogWarning(Format, TimeSpan.FromMilliseconds(1));     // a real stall: shorter than the process's life
        watchdog.LogWarning(".NET Runtime Platform stalled for {TimeSinceLastTick}", TimeSpan.FromDays(3));
        provider.GetRequiredService<ILoggerFactory>().CreateLogger("Other").LogWarning(Format, TimeSpan.FromDays(3));

        Assert.Equal(3, recorded.Count);
        Assert.DoesNotContain(recorded, r => r.Contains("3.00:00:00", StringComparison.Ordinal) && r.StartsWith("Orleans.Runtime.Watchdog: Participant", StringComparison.Ordinal));
    }

    private sealed class Recording(List<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(lines, categoryName);

        public void Dispose() { }

        private sealed class Logger(List<string> lines, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Add($"{category}: {formatter(state, exception)}");
        }
    }
}
