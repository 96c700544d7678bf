using System.Net;
using System.Text.RegularExpressions;

namespace Portal.Tests.EndToEnd;

/// <summary>The portal seen by a plain HTTP client (no browser): raw Set-Cookie headers, forwarded headers as a proxy sends them.</summary>
public static partial class PortalHttp
{
    public static HttpClient Client() => new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false });

    public static HttpRequestMessage Forwarded(HttpMethod method, string url, string scheme, string forwardedFor = "198.51.100.10")
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Add("X-Forwarded-Proto", scheme);
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return request;
    }

    public static IEnumerable<string> SetCookies(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [];

    public static bool IsSecure(string setCookie) => setCookie.Split(';').Any(p => p.Trim().Equals("secure", StringComparison.OrdinalIgnoreCase));

    /// <summary>Posts the sign-in form (with its antiforgery token) and answers the page it renders, or the redirect's cookie.</summary>
    public static async Task<string> PostLoginAsync(HttpClient http, string baseUrl, string user, string password, string scheme, string forwardedFor = "198.51.100.10")
    {
        using var form = await http.SendAsync(Forwarded(HttpMethod.Get, baseUrl + "/account/login", scheme, forwardedFor));
        var html = await form.Content.ReadAsStringAsync();
        var token = TokenField().Match(html).Groups[1].Value;
        var cookies = string.Join("; ", SetCookies(form).Select(c => c.Split(';')[0]));
        var post = Forwarded(HttpMethod.Post, baseUrl + "/account/login", scheme, forwardedFor);
        post.Headers.Add("Cookie", cookies);
        post.Content = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = token,
            ["Input.User"] = user,
            ["Input.Password"] = password,
        });
        using var response = await http.SendAsync(post);
        var staff = SetCookies(response).FirstOrDefault(c => c.StartsWith("ap-staff=", StringComparison.Ordinal));
        return staff ?? await response.Content.ReadAsStringAsync();
    }

    /// <summary>Signs in and answers the staff cookie's Set-Cookie header; fails the test if none was set.</summary>
    public static async Task<string> SignInAsync(HttpClient http, string baseUrl, string user, string password, string scheme, string forwardedFor = "198.51.100.10")
    {
        var result = await PostLoginAsync(http, baseUrl, user, password, scheme, forwardedFor);
        Assert.True(result.StartsWith("ap-staff=", StringComparison.Ordinal), "no staff cookie: " + result[..Math.Min(result.Length, 400)]);
        return result;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}
