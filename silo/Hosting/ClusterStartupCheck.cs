using Npgsql;

namespace OrleansRag.Silo.Hosting;

/// <summary>
/// Runs before the silo starts: connects to PostgreSQL (and applies the clustering schema) and to Redis, so a
/// wrong or unreachable connection string stops the host at once with a message that names the setting,
/// instead of a hang or a wall of stack traces from inside Orleans.
/// </summary>
public sealed partial class ClusterStartupCheck(OrleansHostingOptions options, IServiceProvider services, ILogger<ClusterStartupCheck> logger) : IHostedService
{
    /// <summary>Serialises schema application across silos starting at the same time.</summary>
    private const long SchemaLockId = 0x4F52_4147; // "ORAG"

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Clustering == ClusteringMode.AdoNet)
        {
            await CheckPostgresAsync(cancellationToken);
        }

        if (services.GetService<RedisConnection>() is { } redis)
        {
            await redis.GetAsync();
            // Learn the store's generation now, before any grain holds state from it (or create it in a fresh store).
            await services.GetRequiredService<OrleansRag.Retrieval.IStorageGeneration>().EnsureIntactAsync(cancellationToken);
            LogConnected("Redis");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task CheckPostgresAsync(CancellationToken cancellationToken)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(options.PostgresConnectionString) { Timeout = (int)Math.Ceiling(options.ConnectTimeout.TotalSeconds) };
        }
        catch (ArgumentException exception)
        {
            throw new RagStartupException($"Cluster:PostgresConnectionString is not a valid Npgsql connection string: {exception.Message}", exception);
        }

        var where = $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.ConnectTimeout * 2);
            await connection.OpenAsync(timeout.Token);
            if (options.InitializeSchema)
            {
                await ApplySchemaAsync(connection, timeout.Token);
            }
        }
        catch (Exception exception) when (exception is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            throw new RagStartupException(
                $"Cluster:PostgresConnectionString: cannot use PostgreSQL at {where}: {exception.Message.Split('\n', 2)[0].Trim()}", exception);
        }

        LogConnected($"PostgreSQL at {where}");
    }

    private static async Task ApplySchemaAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var script = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "sql", "postgresql-clustering.sql"), cancellationToken);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_lock({SchemaLockId})", connection))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            await using var command = new NpgsqlCommand(script, connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            await using var unlock = new NpgsqlCommand($"SELECT pg_advisory_unlock({SchemaLockId})", connection);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to {Dependency}")]
    private partial void LogConnected(string dependency);
}
