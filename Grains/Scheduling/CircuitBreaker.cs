namespace Grains.Scheduling;

public enum CircuitState { Closed, Open, HalfOpen }

/// <summary>
/// Takes a backend out of rotation after <c>failures</c> consecutive errors or timeouts, for
/// <c>openFor</c>; then lets one trial call through (half-open): success closes it, failure opens it again.
/// Not thread-safe: the scheduler calls it under its lock.
/// </summary>
public sealed class CircuitBreaker(int failures, TimeSpan openFor)
{
    private int _consecutiveFailures;
    private DateTimeOffset _openUntil;
    private bool _trialInFlight;

    public CircuitState State { get; private set; } = CircuitState.Closed;

    public DateTimeOffset? OpenUntil => State == CircuitState.Open ? _openUntil : null;

    public bool Allows(DateTimeOffset now)
    {
        if (State == CircuitState.Open && now >= _openUntil)
        {
            State = CircuitState.HalfOpen;
            _trialInFlight = false;
        }
        return State switch
        {
            CircuitState.Closed => true,
            CircuitState.HalfOpen => !_trialInFlight,
            _ => false,
        };
    }

    /// <summary>A call was granted; in half-open it is the one trial.</summary>
    public void Started()
    {
        if (State == CircuitState.HalfOpen) _trialInFlight = true;
    }

    /// <returns>True when this failure opened the circuit.</returns>
    public bool Record(bool success, DateTimeOffset now)
    {
        if (success)
        {
            _consecutiveFailures = 0;
            State = CircuitState.Closed;
            return false;
        }
        _consecutiveFailures++;
        if (State == CircuitState.HalfOpen || _consecutiveFailures >= failures)
        {
            var opened = State != CircuitState.Open;
            State = CircuitState.Open;
            _openUntil = now + openFor;
            _consecutiveFailures = 0;
            return opened;
        }
        return false;
    }
}
