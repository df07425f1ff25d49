using System.Net.Sockets;

namespace AiPlatform.ServiceDefaults.BrokerLink;

public static class BrokerReachability
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Whether a TCP connection to the broker opens: the cheapest sign that it is back, whatever the bus thinks.</summary>
    public static async Task<bool> AcceptsConnectionsAsync(string host, int port, CancellationToken ct)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ConnectTimeout);
            await client.ConnectAsync(host, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }
}
