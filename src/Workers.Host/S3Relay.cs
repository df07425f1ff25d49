using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace AiPlatform.Workers.Host;

/// <summary>
/// The one way out of a sandboxed runner's private network: a Unix socket, bound read-only into the sandbox, whose
/// every connection this worker joins to the S3 endpoint and nowhere else. So a script on an S3 lake still reads and
/// writes the lake, but cannot open a connection to the broker, the database or anything else on the network.
/// Bytes pass through untouched: TLS, when the endpoint uses it, stays between the runner and the endpoint.
/// </summary>
public sealed class S3Relay : IDisposable
{
    private readonly Socket _listener;
    private readonly string _host;
    private readonly int _port;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>The socket to hand a runner (<c>S3__Socket</c>); its folder is the one to bind into the sandbox.</summary>
    public string SocketPath { get; }

    private S3Relay(string socketPath, Uri endpoint, ILogger logger)
    {
        SocketPath = socketPath;
        _host = endpoint.Host;
        _port = endpoint.Port;
        _logger = logger;
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        _listener.Listen(128);
        _ = AcceptAsync();
    }

    /// <summary>
    /// Listens on a socket of this process in <paramref name="folder"/> (made private to this user); a socket left by
    /// an earlier worker of the same id is replaced.
    /// </summary>
    public static S3Relay Start(string folder, Uri endpoint, ILogger logger)
    {
        AiPlatform.ScriptRunner.PrivateDirectory.Ensure(folder);
        var socketPath = Path.Combine(folder, $"s3-{Environment.ProcessId}.sock");
        File.Delete(socketPath);
        return new S3Relay(socketPath, endpoint, logger);
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket runner;
            try
            {
                runner = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            _ = JoinAsync(runner);
        }
    }

    private async Task JoinAsync(Socket runner)
    {
        using var endpoint = new TcpClient { NoDelay = true };
        using var runnerStream = new NetworkStream(runner, ownsSocket: true);
        try
        {
            await endpoint.ConnectAsync(_host, _port, _stopping.Token);
            var endpointStream = endpoint.GetStream();
            // Either side closing ends the pair: HTTP connections are not half-closed in use.
            await Task.WhenAny(runnerStream.CopyToAsync(endpointStream, _stopping.Token), endpointStream.CopyToAsync(runnerStream, _stopping.Token));
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            _logger.LogDebug(e, "A relayed S3 connection ended with an error");
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _listener.Dispose();
        File.Delete(SocketPath);
        _stopping.Dispose();
    }
}
