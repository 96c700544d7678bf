namespace Grains.Hosting;

/// <summary>
/// How long our grain calls wait for an answer. The silo's <c>ResponseTimeout</c> is 3 min (<see cref="PlatformHosting"/>)
/// because a stream delivery to the model stage may wait for a model slot and then for the model; ordinary calls must
/// not inherit it: a call to a silo that died mid-call would hold the caller's delivery until that delivery itself
/// times out and its event is dead-lettered, lost for its customer (seen in the kill drill). With these, the call fails
/// fast, the delivery fails and is retried, and the retry reaches the grain's new activation.
/// </summary>
public static class CallTimeouts
{
    /// <summary>A grain call on a message's path (a profile read, an admission, a hold): Orleans' own default.</summary>
    public const string Call = "00:00:30";

    /// <summary>An operator's switch that reaches every silo or sends many parked turns on.</summary>
    public const string Switch = "00:02:00";

    /// <summary>The capacity report, four times a second: a stuck one must not freeze a silo's part of the models.</summary>
    public const string Report = "00:00:05";
}
