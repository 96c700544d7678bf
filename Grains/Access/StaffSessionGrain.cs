using Grains.Hosting;
using Orleans.Concurrency;

namespace Grains.Access;

/// <summary>
/// One staff sign-in, keyed by the session id the portal puts in the staff cookie. The portal checks it on every
/// staff request and every open circuit, so signing out (or an operator revoking it) ends the session at once for
/// every copy of the cookie, and stored state keeps it ended across restarts.
/// </summary>
public interface IStaffSessionGrain : IGrainWithStringKey
{
    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("start")] Task Start(string user, DateTimeOffset expires);

    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("active"), ReadOnly] Task<bool> IsActive();

    [ResponseTimeout(Hosting.CallTimeouts.Call)] [Alias("revoke")] Task Revoke();
}

public sealed class StaffSessionGrain(
    [PersistentState("session", GrainStores.Sessions)] IPersistentState<StaffSessionState> state,
    TimeProvider time) : Grain, IStaffSessionGrain
{
    public async Task Start(string user, DateTimeOffset expires)
    {
        if (state.State.User is not null) return; // a session id is used once
        state.State = new StaffSessionState { User = user, Expires = expires };
        await state.WriteOrDropAsync(this);
    }

    public Task<bool> IsActive() =>
        Task.FromResult(state.State is { User: not null, Revoked: false } && time.GetUtcNow() < state.State.Expires);

    public async Task Revoke()
    {
        if (state.State.Revoked) return;
        state.State.Revoked = true;
        await state.WriteOrDropAsync(this);
    }
}

[GenerateSerializer]
public sealed class StaffSessionState
{
    [Id(0)] public string? User { get; set; }
    [Id(1)] public DateTimeOffset Expires { get; set; }
    [Id(2)] public bool Revoked { get; set; }
}
