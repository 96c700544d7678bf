using System.Security.Claims;
using System.Security.Cryptography;
using Grains.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;

namespace Portal.Security;

/// <summary>
/// Server-side staff sessions (<see cref="IStaffSessionGrain"/>): every staff sign-in (built-in account or OpenID
/// Connect, both end in the cookie) gets a session id in the cookie; each request and each open circuit (every 30 s)
/// checks it is still active, and sign-out revokes it, so a copied cookie stops working with the sign-out.
/// </summary>
public static class StaffSessions
{
    public const string Claim = "ap:sid";

    public static async Task StartAsync(CookieSigningInContext context)
    {
        if (context.Principal?.Identity is not ClaimsIdentity identity) return;
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        identity.AddClaim(new Claim(Claim, id));
        var expires = DateTimeOffset.UtcNow + context.Options.ExpireTimeSpan;
        await Grains(context.HttpContext).GetGrain<IStaffSessionGrain>(id).Start(context.Principal.Actor(), expires);
    }

    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        if (await IsActiveAsync(Grains(context.HttpContext), context.Principal)) return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    }

    public static async Task RevokeAsync(HttpContext context)
    {
        if (context.User.FindFirstValue(Claim) is { } id) await Grains(context).GetGrain<IStaffSessionGrain>(id).Revoke();
    }

    /// <summary>A principal without a session id (a cookie from before sessions existed) counts as signed out.</summary>
    public static async Task<bool> IsActiveAsync(IGrainFactory grains, ClaimsPrincipal? user) =>
        user?.FindFirstValue(Claim) is { } id && await grains.GetGrain<IStaffSessionGrain>(id).IsActive();

    private static IGrainFactory Grains(HttpContext context) => context.RequestServices.GetRequiredService<IGrainFactory>();
}

/// <summary>Ends an open staff circuit within 30 s of its session being revoked (customers' circuits have no session and are left alone).</summary>
public sealed class StaffSessionRevalidator(ILoggerFactory loggers, IGrainFactory grains) : RevalidatingServerAuthenticationStateProvider(loggers)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromSeconds(30);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken cancellationToken) =>
        state.User.Identity?.IsAuthenticated != true || await StaffSessions.IsActiveAsync(grains, state.User);
}
