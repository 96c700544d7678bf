using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Grains.Tests.Infrastructure;

/// <summary>
/// An OpenAI-compatible chat-completions endpoint on loopback that answers one request with a fixed
/// reply and records what it was sent: the way to exercise the real OpenAI client without a network.
/// </summary>
public sealed class LoopbackChatServer : IDisposable
{
    private readonly HttpListener _listener = new();

    public LoopbackChatServer(string model, string replyText)
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        Request = Task.Run(async () =>
        {
            var context = await _listener.GetContextAsync();
            var body = await new StreamReader(context.Request.InputStream).ReadToEndAsync();
            var reply = JsonSerializer.Serialize(new
            {
                id = "chatcmpl-1", @object = "chat.completion", created = 1700000000, model,
                choices = new[] { new { index = 0, message = new { role = "assistant", content = replyText }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 100, completion_tokens = 8, total_tokens = 108 },
            });
            var bytes = Encoding.UTF8.GetBytes(reply);
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
            return (Path: context.Request.Url!.AbsolutePath, Auth: context.Request.Headers["Authorization"], Body: body);
        });
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}/v1";

    /// <summary>The request the server received: path, Authorization header, body.</summary>
    public Task<(string Path, string? Auth, string Body)> Request { get; }

    public static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public void Dispose() => _listener.Close();
}
