using System.Net;
using System.Net.Sockets;

namespace OrleansRag.Tests.Infrastructure;

public static class TestPaths
{
    /// <summary>tests/data, as copied next to the test assembly.</summary>
    public static string Data(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "data", .. parts]);

    /// <summary>A TCP port on loopback that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
