using System.Security.Cryptography;
using System.Text;

namespace Portal.Security;

/// <summary>
/// Customers stay anonymous, but each browser gets a random id in an HttpOnly cookie. A conversation
/// is bound to the hash of that id when it is opened, so no other browser can read or post to it
/// (knowing a conversation's address is not enough). The grain only ever sees the hash.
/// </summary>
public static class CustomerBrowser
{
    public const string CookieName = "ap-customer";
    private const string ItemKey = "customer-browser-owner";
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);

    /// <summary>Ensures the cookie and exposes the owner key to this request's prerendering (<see cref="OwnerOf"/>).</summary>
    public static IApplicationBuilder UseCustomerBrowserCookie(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var id = context.Request.Cookies[CookieName];
        if (id is null || id.Length < 32)
        {
            id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            context.Response.Cookies.Append(CookieName, id, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                Secure = context.Request.IsHttps,
                IsEssential = true,
                MaxAge = Lifetime,
            });
        }
        context.Items[ItemKey] = Owner(id);
        await next(context);
    });

    public static string? OwnerOf(HttpContext? context) => context?.Items[ItemKey] as string;

    /// <summary>The key a conversation is bound to: a hash, so stored state never holds the cookie itself.</summary>
    public static string Owner(string browserId) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("customer:" + browserId)));
}
