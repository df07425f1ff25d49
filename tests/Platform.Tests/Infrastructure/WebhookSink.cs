using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;

namespace AiPlatform.Platform.Tests.Infrastructure;

/// <summary>
/// An HTTP receiver on 127.0.0.1 that keeps every JSON body posted to it, with the path and the time it came; it can be
/// told to answer 503, as a receiver that is down.
/// </summary>
public sealed class WebhookSink : IAsyncDisposable
{
    private readonly LoopbackHttpServer _server;

    public WebhookSink() => _server = new LoopbackHttpServer(ReceiveAsync);

    public Uri Url => _server.BaseUrl;
    public ConcurrentQueue<(string Path, JsonNode Body, DateTime At)> Received { get; } = new();
    public volatile bool Failing;

    /// <summary>Waits for a body posted to <paramref name="path"/> that <paramref name="matches"/>; throws with what came otherwise.</summary>
    public async Task<(JsonNode Body, DateTime At)> WaitForAsync(string path, Func<JsonNode, bool> matches, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var item in Received)
                if (item.Path == path && matches(item.Body)) return (item.Body, item.At);
            await Task.Delay(250);
        }
        throw new TimeoutException($"nothing matching came to {path} within {timeout.TotalSeconds} s; received: " +
                                   string.Join(" | ", Received.Select(r => $"{r.Path} {r.Body.ToJsonString()}")));
    }

    private Task ReceiveAsync(HttpListenerContext context, byte[] body)
    {
        if (Failing)
        {
            context.Response.StatusCode = 503;
            return Task.CompletedTask;
        }
        Received.Enqueue((context.Request.Url!.AbsolutePath, JsonNode.Parse(body)!, DateTime.UtcNow));
        context.Response.StatusCode = 200;
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
