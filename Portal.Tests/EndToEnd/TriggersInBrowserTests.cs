using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace Portal.Tests.EndToEnd;

/// <summary>A webhook receiver on 127.0.0.1 (a free port) that answers 200 and records each request's headers and body.</summary>
public sealed class WebhookSink : IDisposable
{
    private readonly HttpListener _listener = new();

    public WebhookSink()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException) { return; }
                var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!.ToLowerInvariant(), k => context.Request.Headers[k]!);
                Received.Enqueue((headers, await new StreamReader(context.Request.InputStream, Encoding.UTF8).ReadToEndAsync()));
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/hook";

    public ConcurrentQueue<(Dictionary<string, string> Headers, string Body)> Received { get; } = new();

    public void Dispose() => _listener.Close();
}

/// <summary>An operator adds a trigger on /triggers, a customer's answer reaches the webhook, and the operator pauses and removes it.</summary>
public sealed class TriggersInBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task An_operator_adds_a_webhook_trigger_sees_a_chat_answer_delivered_then_pauses_and_removes_it()
    {
        using var sink = new WebhookSink();
        var name = "eqs-answers-" + Guid.NewGuid().ToString("N")[..6];
        var page = await server.SignedInPageAsync("operator", "/triggers");
        await Assertions.Expect(page.GetByTestId("trigger-create")).ToBeEnabledAsync();
        await page.GetByTestId("trigger-topics").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "agent.responses.final" }).ClickAsync();
        await page.Keyboard.PressAsync("Escape");
        (string TestId, string Value)[] fields =
        [
            ("trigger-name", name), ("trigger-types", "agent.response.final"), ("trigger-tenant", "stuttgart-motors"),
            ("trigger-expression", "data.answer contains \"EQS\" and data.tier != \"free\""), ("trigger-url", sink.Url),
        ];
        // A field that lost what was typed (a re-render of the form while the circuit was busy emptied the URL once) is filled again.
        async Task FillFormAsync()
        {
            foreach (var (testId, value) in fields)
                if (await page.GetByTestId(testId).InputValueAsync() != value) await page.GetByTestId(testId).FillAsync(value);
        }
        await FillFormAsync();
        var row = page.GetByTestId("trigger-" + name);
        // The form's fields reach the circuit asynchronously: add once the row is there (a click before would find an empty field).
        // (the form is cleared after an add, so a second click cannot add it twice).
        // Adding commits the new consumer group's start offsets on Kafka: under a loaded machine that can take seconds.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await row.CountAsync() == 0)
        {
            if (DateTime.UtcNow >= deadline)
            {
                await PortalServer.ScreenshotAsync(page, "trigger-not-added");
                Assert.Fail($"the trigger was added within 60 s; the page says: {await page.Locator("body").InnerTextAsync()}");
            }
            await FillFormAsync();
            await page.GetByTestId("trigger-create").ClickAsync();
            try { await row.WaitForAsync(new() { Timeout = 2_000 }); } catch (TimeoutException) { }
        }
        await Assertions.Expect(row.GetByTestId("trigger-state")).ToHaveTextAsync("Running");
        await Assertions.Expect(row).ToContainTextAsync("agent.responses.final");

        var chat = await server.NewPageAsync();
        await chat.GotoAsync(server.BaseUrl + "/");
        await Assertions.Expect(chat.GetByTestId("tenant-stuttgart-motors")).ToBeEnabledAsync();
        await chat.GetByTestId("tenant-stuttgart-motors").ClickAsync();
        await chat.GetByTestId("message").FillAsync("Which electric car do you have?");
        await chat.GetByTestId("send").ClickAsync();
        await Assertions.Expect(chat.Locator("[data-testid=line-assistant][data-status=answered]")).ToContainTextAsync("EQS");

        await Assertions.Expect(row.GetByTestId("trigger-delivered")).ToHaveTextAsync("1", new() { Timeout = 30_000 });
        await Assertions.Expect(row.GetByTestId("trigger-lag")).ToHaveTextAsync("0", new() { Timeout = 15_000 });
        await Assertions.Expect(row.GetByTestId("trigger-dead")).ToHaveTextAsync("0");
        var (headers, body) = Assert.Single(sink.Received);
        Assert.Equal("agent.response.final", headers["ce-type"]);
        Assert.Equal("1.0", headers["ce-specversion"]);
        Assert.Equal("stuttgart-motors", headers["ce-tenantid"]);
        Assert.False(string.IsNullOrEmpty(headers["ce-id"]));
        Assert.False(string.IsNullOrEmpty(headers["ce-source"]));
        Assert.Contains("EQS", JsonDocument.Parse(body).RootElement.GetProperty("answer").GetString());
        await PortalServer.ScreenshotAsync(page, "triggers-delivered");

        await row.GetByTestId("trigger-pause").ClickAsync();
        await Assertions.Expect(row.GetByTestId("trigger-state")).ToHaveTextAsync("Paused");
        await row.GetByTestId("trigger-delete").ClickAsync();
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Remove", Exact = true }).ClickAsync();
        await Assertions.Expect(row).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_moderator_does_not_get_the_triggers_page()
    {
        var page = await server.SignedInPageAsync("moderator", "/approvals");
        await page.GotoAsync(server.BaseUrl + "/triggers");
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/account/denied"));
    }
}

/// <summary>The triggers API as a tool uses it: API key, 201 with the trigger, 400 with problem details, 401 anonymous.</summary>
public sealed class TriggersApiTests(PortalServer server) : IClassFixture<PortalServer>
{
    private const string OperatorKey = "ap_ha7PTAkEYMxLkVC1oMglix7ldL8a1bHqXSfhOOswpkA"; // README's demo key (operator)

    private static HttpRequestMessage Request(HttpMethod method, string url, string? key, object? body = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (body is not null) request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        return request;
    }

    private static object Spec(string name, string expression) => new
    {
        name,
        topics = new[] { "agent.responses.final" },
        filter = new { tenantId = "stuttgart-motors", expression },
        destination = new { kind = "http", url = "http://127.0.0.1:9/hook" },
        start = "latest",
    };

    [Fact]
    public async Task Create_pause_resume_list_and_delete_with_an_API_key()
    {
        using var http = PortalHttp.Client();
        var url = server.BaseUrl + "/api/triggers";
        using var created = await http.SendAsync(Request(HttpMethod.Post, url, OperatorKey, Spec("crm-upsert", "data.tier != \"free\"")));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var view = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        var id = view.RootElement.GetProperty("id").GetString()!;
        Assert.Equal($"/api/triggers/{id}", created.Headers.Location?.ToString());
        Assert.EndsWith("trigger-" + id, view.RootElement.GetProperty("group").GetString());
        Assert.Equal("api-key:demo-auditor", view.RootElement.GetProperty("createdBy").GetString());

        using var paused = await http.SendAsync(Request(HttpMethod.Post, $"{url}/{id}/pause", OperatorKey));
        Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        Assert.True(JsonDocument.Parse(await paused.Content.ReadAsStringAsync()).RootElement.GetProperty("paused").GetBoolean());
        using var resumed = await http.SendAsync(Request(HttpMethod.Post, $"{url}/{id}/resume", OperatorKey));
        Assert.False(JsonDocument.Parse(await resumed.Content.ReadAsStringAsync()).RootElement.GetProperty("paused").GetBoolean());

        using var list = await http.SendAsync(Request(HttpMethod.Get, url, OperatorKey));
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var listed = JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Single(t => t.GetProperty("id").GetString() == id);
        Assert.Equal("crm-upsert", listed.GetProperty("name").GetString());
        Assert.Equal(0, listed.GetProperty("stats").GetProperty("delivered").GetInt64());

        using var deleted = await http.SendAsync(Request(HttpMethod.Delete, $"{url}/{id}", OperatorKey));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await http.SendAsync(Request(HttpMethod.Get, $"{url}/{id}", OperatorKey));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Anonymous_callers_get_401_and_a_bad_definition_gets_400_with_problem_details()
    {
        using var http = PortalHttp.Client();
        var url = server.BaseUrl + "/api/triggers";
        using var anonymous = await http.SendAsync(Request(HttpMethod.Post, url, null, Spec("x", "data.tier != \"free\"")));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var anonymousList = await http.SendAsync(Request(HttpMethod.Get, url, null));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousList.StatusCode);

        using var bad = await http.SendAsync(Request(HttpMethod.Post, url, OperatorKey, Spec("bad filter", "data.tier = free")));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("expected an operator", problem.GetProperty("errors").GetProperty("filter.expression")[0].GetString());

        using var notJson = await http.SendAsync(Request(HttpMethod.Post, url, OperatorKey, "{\"name\": "));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        using var unknownTopic = await http.SendAsync(Request(HttpMethod.Post, url, OperatorKey, new { name = "t", topics = new[] { "nope" }, destination = new { kind = "http", url = "http://127.0.0.1:9/" } }));
        Assert.Equal(HttpStatusCode.BadRequest, unknownTopic.StatusCode);
        Assert.Contains("nope", await unknownTopic.Content.ReadAsStringAsync());
    }
}
