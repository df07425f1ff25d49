using System.Net;
using System.Net.Sockets;

namespace AiPlatform.Platform.Tests.Infrastructure;

/// <summary>A port nothing listens on right now, for a test's private service instances.</summary>
public static class FreePorts
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
