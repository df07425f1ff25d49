using System.Net.Sockets;
using Amazon.Runtime;

namespace AiPlatform.Lake.ObjectStore;

/// <summary>
/// HTTP clients whose every connection goes through a Unix socket that leads to the S3 endpoint (a relay the caller
/// provides). A process without a network of its own, a sandboxed script runner, reaches the store this way and
/// nothing else: requests keep the endpoint's URL, so Host headers and signatures are those of the real endpoint.
/// </summary>
internal sealed class UnixSocketHttpClients(string socketPath) : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
        new(new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        })
        {
            // The SDK applies its own per-request timeout; the client's must not cut a large transfer short.
            Timeout = Timeout.InfiniteTimeSpan,
        };

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => true;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    public override string GetConfigUniqueString(IClientConfig clientConfig) => "unix:" + socketPath;
}
