using System.Diagnostics.Metrics;

namespace Grains.Marketing;

/// <summary>
/// The window a sink cannot close (meter <c>AgentPlatform.Marketing</c>): from the moment its channel accepted a
/// delivery (SMTP's reply to DATA, the webhook's 2xx) to the moment the delivery is recorded in the grain store. A
/// crash inside it sends again on redelivery; after it, the record stops the resend.
/// </summary>
public static class SinkMetrics
{
    public const string MeterName = "AgentPlatform.Marketing";
    public const string UnrecordedWindowName = "agent_platform.sink.unrecorded_window";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> UnrecordedWindow = Meter.CreateHistogram<double>(UnrecordedWindowName, "ms",
        "Time from a channel's acceptance of a delivery to its record in the grain store (a crash in it resends).");

    public static void Unrecorded(string sink, TimeSpan window) =>
        UnrecordedWindow.Record(window.TotalMilliseconds, new KeyValuePair<string, object?>("sink", sink));
}
