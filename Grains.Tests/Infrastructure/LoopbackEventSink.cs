using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Grains.Tests.Infrastructure;

/// <summary>One HTTP request the sink received: its headers (lower-case names), body and the status it was answered.</summary>
public sealed record ReceivedRequest(IReadOnlyDictionary<string, string> Headers, string Body, string? ContentType, int Status)
{
    public string? this[string header] => Headers.GetValueOrDefault(header);
}

/// <summary>
/// An HTTP endpoint on 127.0.0.1 (a free port) that records every request, as a webhook receiver of a trigger would
/// see it; <see cref="Answer"/> decides the status code per request (200 unless told otherwise).
/// </summary>
public sealed class LoopbackEventSink : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<ReceivedRequest> _all = new();

    public LoopbackEventSink()
    {
        Port = LoopbackChatServer.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/events";

    /// <summary>The status code for a request (headers as received); 200 by default.</summary>
    public Func<IReadOnlyDictionary<string, string>, int> Answer { get; set; } = _ => 200;

    /// <summary>Every request, answered 2xx or not, in arrival order.</summary>
    public IReadOnlyList<ReceivedRequest> All => _all.ToList();

    /// <summary>The requests answered 2xx: the events delivered.</summary>
    public IReadOnlyList<ReceivedRequest> Accepted => _all.Where(r => r.Status is >= 200 and < 300).ToList();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException) { return; }
            var headers = context.Request.Headers.AllKeys.Where(k => k is not null)
                .ToDictionary(k => k!.ToLowerInvariant(), k => context.Request.Headers[k]!);
            var body = await new StreamReader(context.Request.InputStream, Encoding.UTF8).ReadToEndAsync();
            int status;
            try { status = Answer(headers); } catch { status = 500; }
            _all.Enqueue(new ReceivedRequest(headers, body, context.Request.ContentType, status));
            context.Response.StatusCode = status;
            context.Response.Close();
        }
    }

    public void Dispose() => _listener.Close();
}
