using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Portal.Tests.EndToEnd;

/// <summary>
/// The real portal (co-hosted silo, embedded Kafka, catalog responder) on a real Kestrel port, and
/// Debian's Chromium driven by Playwright. The test command installs chromium; nothing is downloaded.
/// </summary>
public class PortalServer : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private WebApplicationFactory<Program> _factory = null!;

    /// <summary>Extra settings for fixtures that need them (e.g. single sign-on).</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    private WebApplicationFactory<Program> CreateFactory()
    {
        // Each fixture is its own cluster: own silo and gateway ports (test classes run in parallel),
        // own embedded Kafka. Port 0 for Kestrel: it picks a free port when it binds (read back below);
        // a port picked in advance can be taken by the fixture's own embedded brokers before Kestrel binds it.
        var siloPort = FreePort();
        return new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Development")
                .UseUrls("http://127.0.0.1:0")
                .UseSetting("Kafka:Embedded:BootstrapFile", Path.Combine(Path.GetTempPath(), "agent-platform-tests", Guid.NewGuid().ToString("N")))
                .UseSetting("Orleans:SiloPort", siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .UseSetting("Orleans:PrimarySiloPort", siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .UseSetting("Orleans:GatewayPort", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture))
                .UseSetting("Orleans:ClusterId", "portal-tests-" + Guid.NewGuid().ToString("N")[..8]);
            foreach (var (key, value) in Settings) b.UseSetting(key, value);
        });
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private IPlaywright? _playwright;

    public string BaseUrl { get; private set; } = "";

    public IBrowser Browser { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        _factory = CreateFactory();
        _factory.UseKestrel();
        _factory.StartServer();
        BaseUrl = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: run ./test.sh, which installs Debian's chromium (apt-get install chromium).");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    public async Task<IPage> NewPageAsync()
    {
        var page = await Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        page.SetDefaultTimeout(30_000);
        return page;
    }

    /// <summary>The demo staff accounts of appsettings.Development.json (README lists them).</summary>
    public static readonly IReadOnlyDictionary<string, string> DemoPasswords = new Dictionary<string, string>
    {
        ["admin"] = "admin-demo",
        ["operator"] = "operator-demo",
        ["moderator"] = "moderator-demo",
        ["finance"] = "finance-demo",
        ["stuttgart-admin"] = "tenant-demo",
    };

    public IGrainFactory Grains => _factory.Services.GetRequiredService<IGrainFactory>();

    /// <summary>A new browser (its own cookies) signed in as a demo staff account, on <paramref name="path"/>.</summary>
    public async Task<IPage> SignedInPageAsync(string user, string path)
    {
        var page = await NewPageAsync();
        await page.GotoAsync(BaseUrl + path);
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/account/login"));
        await page.GetByTestId("login-user").FillAsync(user);
        await page.GetByTestId("login-password").FillAsync(DemoPasswords[user]);
        await page.GetByTestId("login-submit").ClickAsync();
        await page.WaitForURLAsync(u => !u.Contains("/account/login", StringComparison.Ordinal));
        return page;
    }

    /// <summary>Saves what the test saw, for people to look at (test output folder, not committed).</summary>
    public static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", name + ".png"), FullPage = true });

    public virtual async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        await _factory.DisposeAsync();
    }
}
