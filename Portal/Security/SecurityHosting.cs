using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Portal.Security;

/// <summary>
/// Staff sign-in: a cookie issued by the built-in accounts (<c>Auth:Accounts</c>, hashed passwords)
/// or by OpenID Connect when <c>Auth:Oidc:Authority</c> is set. Pages declare a policy; anonymous
/// visitors of a staff page are sent to <c>/account/login</c>. Customers need no sign-in.
/// </summary>
public static class SecurityHosting
{
    public const string OidcScheme = OpenIdConnectDefaults.AuthenticationScheme;

    public static IHostApplicationBuilder AddPortalSecurity(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(AuthOptions.Section);
        builder.Services.AddOptions<AuthOptions>().Bind(section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        builder.Services.AddSingleton<StaffAccounts>();
        var auth = section.Get<AuthOptions>() ?? new AuthOptions();

        var authentication = builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(options =>
            {
                options.LoginPath = "/account/login";
                options.AccessDeniedPath = "/account/denied";
                options.LogoutPath = "/account/logout";
                options.Cookie.Name = "ap-staff";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.ExpireTimeSpan = auth.SessionLifetime;
                options.SlidingExpiration = true;
                options.Events.OnSigningIn = StaffSessions.StartAsync;
                options.Events.OnValidatePrincipal = StaffSessions.ValidateAsync;
                // APIs answer 401/403; only pages are sent to the sign-in page.
                options.Events.OnRedirectToLogin = context => ApiOr(context, StatusCodes.Status401Unauthorized);
                options.Events.OnRedirectToAccessDenied = context => ApiOr(context, StatusCodes.Status403Forbidden);
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        if (auth.Oidc.Enabled) authentication.AddOpenIdConnect(OidcScheme, auth.Oidc.DisplayName, options => ConfigureOidc(options, auth.Oidc));

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(StaffPolicies.Staff, p => p.RequireRole(StaffRoles.All))
            .AddPolicy(StaffPolicies.Operators, p => p.RequireRole(StaffRoles.Admin, StaffRoles.Operator))
            .AddPolicy(StaffPolicies.Moderators, p => p.RequireRole(StaffRoles.Admin, StaffRoles.Moderator))
            .AddPolicy(StaffPolicies.PolicyEditors, p => p.RequireRole(StaffRoles.Admin, StaffRoles.TenantAdmin))
            .AddPolicy(StaffPolicies.Auditors, p => p.RequireRole(StaffRoles.Admin, StaffRoles.Operator, StaffRoles.TenantAdmin))
            // APIs also take API keys; a page must not (its challenge is the sign-in page, an API key's is a 401).
            .AddPolicy(StaffPolicies.AuditApi, p => p
                .AddAuthenticationSchemes(CookieAuthenticationDefaults.AuthenticationScheme, ApiKeyAuthenticationHandler.SchemeName)
                .RequireRole(StaffRoles.Admin, StaffRoles.Operator, StaffRoles.TenantAdmin))
            .AddPolicy(StaffPolicies.TriggersApi, p => p
                .AddAuthenticationSchemes(CookieAuthenticationDefaults.AuthenticationScheme, ApiKeyAuthenticationHandler.SchemeName)
                .RequireRole(StaffRoles.Admin, StaffRoles.Operator));
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, StaffSessionRevalidator>();
        return builder;
    }

    private static Task ApiOr(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (context.Request.Path.StartsWithSegments("/api")) context.Response.StatusCode = status;
        else context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    private static void ConfigureOidc(OpenIdConnectOptions options, OidcOptions oidc)
    {
        options.Authority = oidc.Authority;
        options.ClientId = oidc.ClientId;
        options.ClientSecret = oidc.ClientSecret;
        options.ResponseType = "code";
        options.UsePkce = true;
        options.SaveTokens = false;
        options.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
        options.CallbackPath = "/account/signin-oidc";
        options.SignedOutCallbackPath = "/account/signout-oidc";
        options.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
        options.MapInboundClaims = false;
        options.TokenValidationParameters.NameClaimType = "name";
        options.TokenValidationParameters.RoleClaimType = ClaimTypes.Role;
        foreach (var scope in new[] { "openid", "profile" }) options.Scope.Add(scope);
        options.Events.OnTokenValidated = context =>
        {
            // The identity provider's claims become ours, so pages authorize the same way for both sign-ins.
            if (context.Principal?.Identity is ClaimsIdentity identity)
                foreach (var (from, to) in new[] { (oidc.RoleClaim, ClaimTypes.Role), (oidc.TeamClaim, StaffClaims.Team), (oidc.TenantClaim, StaffClaims.Tenant) })
                    foreach (var claim in identity.FindAll(from).ToList())
                        identity.AddClaim(new Claim(to, claim.Value));
            return Task.CompletedTask;
        };
    }

    public static WebApplication MapAccountEndpoints(this WebApplication app)
    {
        var auth = app.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
        if (auth.Accounts.Count == 0 && !auth.Oidc.Enabled)
            app.Logger.LogWarning("No staff can sign in: configure Auth:Accounts (hashed passwords) or Auth:Oidc. Customers can still chat.");
        var account = app.MapGroup("/account");
        account.MapGet("/sso", (string? returnUrl, IOptions<AuthOptions> auth) => auth.Value.Oidc.Enabled
            ? Results.Challenge(new AuthenticationProperties { RedirectUri = LocalOrHome(returnUrl) }, [OidcScheme])
            : Results.NotFound("Single sign-on is not configured (Auth:Oidc:Authority)."));
        account.MapPost("/logout", async (HttpContext context, [FromForm] string? returnUrl) =>
        {
            await StaffSessions.RevokeAsync(context); // every copy of the cookie stops working, not only this browser's
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect(LocalOrHome(returnUrl));
        });
        return app;
    }

    /// <summary>Only paths on this site: a sign-in link must not send people elsewhere.</summary>
    public static string LocalOrHome(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal) && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            ? returnUrl
            : "/";
}
