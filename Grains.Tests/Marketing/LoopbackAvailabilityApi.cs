using System.Net;
using Grains.Tests.Infrastructure;

namespace Grains.Tests.Marketing;

/// <summary>A loopback availability API that answers with <see cref="Status"/> (changeable while it runs) and counts the calls.</summary>
public sealed class LoopbackAvailabilityApi : IDisposable
{
    private readonly HttpListener _listener = new();
    private int _calls;
    private volatile HttpStatusCode _status = HttpStatusCode.OK;

    public int Calls => Volatile.Read(ref _calls);

    public HttpStatusCode Status { get => _status; set => _status = value; }
    public string Url { get; }

    public LoopbackAvailabilityApi()
    {
        var port = LoopbackChatServer.FreePort();
        Url = $"http://127.0.0.1:{port}/availability";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception) when (!_listener.IsListening) { return; }
                Interlocked.Increment(ref _calls);
                context.Response.StatusCode = (int)Status;
                var product = context.Request.QueryString["product"];
                var body = Status == HttpStatusCode.OK ? $$"""{"available":{{(product == "Sold Out" ? "false" : "true")}},"inStock":4,"deliveryEstimate":"3 days"}""" : "{}";
                var bytes = System.Text.Encoding.UTF8.GetBytes(body);
                context.Response.ContentType = "application/json";
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            }
        });
    }

    public void Dispose() => _listener.Stop();
}
