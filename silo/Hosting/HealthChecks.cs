using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OrleansRag.Embedding;

namespace OrleansRag.Silo.Hosting;

/// <summary>
/// Ready when the silo is active in the cluster and the embedding model is loaded. Unreachable storage, or
/// storage that lost what was written (its generation marker, <see cref="OrleansRag.Retrieval.RedisStorageGeneration"/>), makes
/// it Degraded (still HTTP 200): reads keep working from memory, and pulling every silo out of a load balancer
/// because Redis blinked would turn a write outage into a full outage.
/// </summary>
public sealed class ReadinessCheck(SiloReadiness silo, EmbeddingService embeddings, OrleansRag.Retrieval.IStorageGeneration storage, IServiceProvider services) : IHealthCheck
{
    /// <summary>How long storage may take to answer the readiness probe's PING.</summary>
    private static readonly TimeSpan StorageProbeTimeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var storageReachable = await StorageAnswersAsync(cancellationToken);
        var storageLost = storageReachable ? await StorageLostAsync(cancellationToken) : storage.LostReason;
        var data = new Dictionary<string, object>
        {
            ["siloActive"] = silo.IsActive,
            ["storageReachable"] = storageReachable,
            ["storageIntact"] = storageLost is null,
            ["modelLoaded"] = embeddings.IsReady,
        };
        var problem = !silo.IsActive ? "Silo is not active in the cluster."
            : !embeddings.IsReady ? "Embedding model is not loaded yet."
            : null;
        return problem is not null ? HealthCheckResult.Unhealthy(problem, data: data)
            : storageLost is not null ? HealthCheckResult.Degraded(storageLost, data: data)
            : storageReachable ? HealthCheckResult.Healthy("Silo active, storage reachable, model loaded.", data)
            : HealthCheckResult.Degraded("Storage (Redis) is not reachable: writes fail with 503, reads are served from memory.", data: data);
    }

    /// <summary>Why storage lost what this silo wrote (checked now), null while it is intact.</summary>
    private async Task<string?> StorageLostAsync(CancellationToken cancellationToken)
    {
        try
        {
            await storage.EnsureIntactAsync(cancellationToken).WaitAsync(StorageProbeTimeout, cancellationToken);
            return null;
        }
        catch (StorageLostException lost)
        {
            return lost.Message;
        }
        catch (Exception exception) when (exception is TimeoutException or StackExchange.Redis.RedisException)
        {
            return storage.LostReason;
        }
    }

    /// <summary>
    /// Whether Redis answers a real command in time: a connected socket is not enough (a Redis that hangs keeps its
    /// connections open). True without Redis (the embedded default).
    /// </summary>
    private async Task<bool> StorageAnswersAsync(CancellationToken cancellationToken)
    {
        if (services.GetService<RedisConnection>() is not { } redis)
        {
            return true;
        }

        try
        {
            await PingAsync(redis).WaitAsync(StorageProbeTimeout, cancellationToken);
            return true;
        }
        catch (Exception exception) when (exception is TimeoutException or StackExchange.Redis.RedisException or RagStartupException)
        {
            return false;
        }

        static async Task PingAsync(RedisConnection redis) => await (await redis.GetAsync()).GetDatabase().PingAsync();
    }
}

public static class HealthEndpoints
{
    /// <summary>Checks with this tag decide /ready.</summary>
    public const string ReadyTag = "ready";

    public static IServiceCollection AddRagHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<ReadinessCheck>("silo-and-model", tags: [ReadyTag]);
        return services;
    }

    /// <summary>/health: the process is alive (no checks). /ready: silo active and model loaded (and the samples, where enabled).</summary>
    public static WebApplication MapRagHealth(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks("/health", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteJsonAsync });
        app.MapHealthChecks("/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag), ResponseWriter = WriteJsonAsync });
        return app;
    }

    private static Task WriteJsonAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                entry => entry.Key,
                entry => new { status = entry.Value.Status.ToString(), description = entry.Value.Description, data = entry.Value.Data }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, JsonSerializerOptions.Web));
    }
}
