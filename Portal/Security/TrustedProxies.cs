using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Portal.Security;

/// <summary>
/// Behind a TLS-terminating proxy or ingress the portal sees plain HTTP from the proxy's address. The proxies named in
/// <c>Portal:TrustedProxies</c> (addresses or CIDR networks) are believed about the client's scheme and address
/// (<c>X-Forwarded-Proto</c>, <c>X-Forwarded-For</c>), so cookies are <c>Secure</c> whenever the customer's browser
/// speaks HTTPS and the sign-in throttle counts the client's address, not the proxy's. Nothing is believed from anyone
/// else: a forged header from the internet changes nothing.
/// </summary>
public static class TrustedProxies
{
    public const string Key = "Portal:TrustedProxies";

    public static IHostApplicationBuilder AddTrustedProxies(this IHostApplicationBuilder builder)
    {
        var entries = builder.Configuration.GetSection(Key).Get<string[]>() ?? [];
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // ASP.NET Core trusts loopback by default; here only what is configured.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            options.ForwardLimit = null; // chains of configured proxies: each hop is checked against the list
            foreach (var entry in entries) Add(options, entry);
        });
        return builder;
    }

    public static IApplicationBuilder UseTrustedProxies(this IApplicationBuilder app) =>
        app.ApplicationServices.GetRequiredService<IConfiguration>().GetSection(Key).Get<string[]>() is { Length: > 0 }
            ? app.UseForwardedHeaders()
            : app;

    private static void Add(ForwardedHeadersOptions options, string entry)
    {
        var text = entry.Trim();
        if (text.Contains('/', StringComparison.Ordinal))
        {
            if (!System.Net.IPNetwork.TryParse(text, out var network))
                throw new InvalidOperationException($"{Key}: '{entry}' is not an address or a CIDR network (e.g. 10.0.0.0/8).");
            options.KnownIPNetworks.Add(network);
        }
        else if (IPAddress.TryParse(text, out var address))
            options.KnownProxies.Add(address);
        else
            throw new InvalidOperationException($"{Key}: '{entry}' is not an address or a CIDR network (e.g. 10.0.0.0/8).");
    }
}
