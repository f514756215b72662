using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans.Configuration;
using OrleansRag.Client;

namespace OrleansRag.Tests.Production;

/// <summary>
/// N silo processes in production mode (AdoNet clustering on the real PostgreSQL, Redis storage) with a
/// fresh cluster and service id, plus an external client host using <see cref="IRagClient"/>.
/// </summary>
public sealed class ProductionCluster : IAsyncDisposable
{
    private readonly List<IHost> _clients = [];

    public string ClusterId { get; } = "prod-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>The folder every silo of this cluster keeps originals in (as a shared volume would be in a real one).</summary>
    public string OriginalsPath { get; } = Path.Combine(Path.GetTempPath(), "orleansrag-originals-" + Guid.NewGuid().ToString("N")[..8]);

    public List<SiloProcess> Silos { get; } = [];

    /// <summary>Further settings for every silo (TLS, for example).</summary>
    public Dictionary<string, string> ExtraSettings { get; } = [];

    /// <summary>Settings every silo of this cluster gets: production mode; failure detection is the shipped appsettings.json's.</summary>
    public Dictionary<string, string> Settings() => new(ExtraSettings.Concat(new Dictionary<string, string>
    {
        ["Cluster:Clustering"] = "AdoNet",
        ["Cluster:PostgresConnectionString"] = ProductionServers.Postgres,
        ["Cluster:Storage"] = "Redis",
        ["Cluster:RedisConnectionString"] = ProductionServers.Redis,
        ["Cluster:ClusterId"] = ClusterId,
        ["Cluster:ServiceId"] = ClusterId,
        ["BlobStore:Path"] = OriginalsPath,
    }));

    public async Task<SiloProcess> StartSiloAsync()
    {
        var silo = SiloProcess.Start(Settings());
        Silos.Add(silo);
        await silo.WaitReadyAsync(TimeSpan.FromSeconds(120));
        return silo;
    }

    public async Task StartSilosAsync(int count)
    {
        var started = Enumerable.Range(0, count).Select(_ => SiloProcess.Start(Settings())).ToList();
        Silos.AddRange(started);
        await Task.WhenAll(started.Select(s => s.WaitReadyAsync(TimeSpan.FromSeconds(180))));
    }

    /// <summary>
    /// The response timeout of a client that prefers failing fast (Orleans' default is 30 s). A call already on its way to a
    /// silo that is killed waits this long: only the gateway silo saw the silo leave.
    /// </summary>
    public static readonly TimeSpan FailFastResponseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>An external client with <see cref="FailFastResponseTimeout"/>, for tests that kill silos under its calls.</summary>
    public Task<IRagClient> ConnectFailFastClientAsync() =>
        ConnectClientAsync(client => client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = FailFastResponseTimeout));

    /// <summary>An external .NET application: Orleans client on the same membership table + IRagClient.</summary>
    public async Task<IRagClient> ConnectClientAsync(Action<IClientBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ClusterId;
                o.ServiceId = ClusterId;
            });
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(2));
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = ProductionServers.Postgres;
            });
            configure?.Invoke(client);
        });
        builder.Services.AddRagClient();
        var host = builder.Build();
        await host.StartAsync();
        _clients.Add(host);
        return host.Services.GetRequiredService<IRagClient>();
    }

    /// <summary>Status of a silo (by its silo port) in the membership table: 3 = Active, 6 = Dead.</summary>
    public async Task<int?> MembershipStatusAsync(int siloPort)
    {
        await using var connection = new NpgsqlConnection(ProductionServers.Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT status FROM orleansmembershiptable WHERE deploymentid = @id AND port = @port ORDER BY generation DESC LIMIT 1", connection);
        command.Parameters.AddWithValue("id", ClusterId);
        command.Parameters.AddWithValue("port", siloPort);
        return await command.ExecuteScalarAsync() as int?;
    }

    public async Task StopAllAsync()
    {
        await Task.WhenAll(Silos.Select(s => s.StopAsync(TimeSpan.FromSeconds(30))));
        foreach (var silo in Silos)
        {
            await silo.DisposeAsync();
        }

        Silos.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            try
            {
                await client.StopAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                // the cluster may already be gone
            }

            client.Dispose();
        }

        foreach (var silo in Silos)
        {
            await silo.DisposeAsync();
        }

        if (Directory.Exists(OriginalsPath))
        {
            Directory.Delete(OriginalsPath, recursive: true);
        }
    }
}
