using System.Net;

namespace AiPlatform.Platform.Tests.Infrastructure;

/// <summary>
/// An HTTP server on a free 127.0.0.1 port for the receivers the platform calls out to (webhooks, an OTLP collector,
/// registry hooks): it reads each request's body and hands both to <c>handle</c>, which writes the answer. A handler
/// that throws answers 500, so a test sees a bad request as the caller's failure, not as a server that went silent.
/// </summary>
public sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<HttpListenerContext, byte[], Task> _handle;
    private readonly Task _serving;

    /// <param name="handle">Answers one request; the server closes the response after it.</param>
    /// <param name="path">The path prefix served, ending in '/'.</param>
    public LoopbackHttpServer(Func<HttpListenerContext, byte[], Task> handle, string path = "/")
    {
        _handle = handle;
        BaseUrl = new Uri($"http://127.0.0.1:{FreePorts.Next()}/");
        _listener.Prefixes.Add(new Uri(BaseUrl, path).ToString());
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public Uri BaseUrl { get; }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            try
            {
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                await _handle(context, body.ToArray());
            }
            catch (Exception)
            {
                context.Response.StatusCode = 500;
            }
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _serving;
        _listener.Close();
    }
}
