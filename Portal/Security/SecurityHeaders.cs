namespace Portal.Security;

/// <summary>
/// Response headers on every portal page and file: a Content-Security-Policy that Blazor Server and MudBlazor work
/// under (scripts only from the portal itself, no eval; inline styles allowed, as MudBlazor sets them; the circuit's
/// WebSocket to the same origin; never framed), plus <c>X-Content-Type-Options: nosniff</c>, a referrer policy and, over HTTPS, HSTS.
/// The Orleans dashboard under <c>/dashboard</c> (a third-party page with inline scripts) gets the same headers but
/// the policy allows its inline scripts there only.
/// </summary>
public static class SecurityHeaders
{
    public const string Policy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    private const string DashboardPolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = context.Request.Path.StartsWithSegments("/dashboard") ? DashboardPolicy : Policy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
            headers.XFrameOptions = "DENY"; // for browsers that predate frame-ancestors
            if (context.Request.IsHttps) headers.StrictTransportSecurity = "max-age=31536000"; // HTTPS seen directly or from a trusted proxy
            return Task.CompletedTask;
        });
        await next();
    });
}
