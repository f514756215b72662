using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OrleansRag.Client;
using OrleansRag.Silo;

namespace OrleansRag.Bench;

internal static class BenchHost
{
    /// <summary>The real silo host on free loopback ports, samples off, quiet logs, plus <paramref name="settings"/>.</summary>
    public static WebApplication Build(IDictionary<string, string?> settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["Cluster:SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Samples:Enabled"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        return RagHost.Build(["--urls", "http://127.0.0.1:0"], builder => builder.Configuration.AddInMemoryCollection(all));
    }

    /// <summary>
    /// The SDK client over the host's grains, as the default tenant in open mode (the host's own IRagClient is
    /// resolved per HTTP request).
    /// </summary>
    public static IRagClient Client(WebApplication app) =>
        new RagClient(app.Services.GetRequiredService<IGrainFactory>(), Security.RagPrincipal.LocalAdmin.Tenant, apiKey: null);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

internal static class BenchArgs
{
    public static int Int(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    public static string? String(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
