using System.Net;
using System.Net.Sockets;

namespace OrleansRag.Tests.Infrastructure;

public static class TestPaths
{
    /// <summary>tests/data, as copied next to the test assembly.</summary>
    public static string Data(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "data", .. parts]);

    /// <summary>The repository's root folder (deploy/, tests/tools/ are read from the checkout, not copied).</summary>
    public static string Repository(params string[] parts)
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "OrleansRag.sln")))
            {
                return Path.Combine([folder.FullName, .. parts]);
            }
        }

        throw new DirectoryNotFoundException($"No OrleansRag.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>A TCP port on loopback that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
