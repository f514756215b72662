using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OrleansRag.Embedding;

namespace OrleansRag.Silo.Hosting;

/// <summary>Ready when the silo is active in the cluster and the embedding model is loaded.</summary>
public sealed class ReadinessCheck(SiloReadiness silo, EmbeddingService embeddings) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["siloActive"] = silo.IsActive,
            ["modelLoaded"] = embeddings.IsReady,
        };
        var result = silo.IsActive && embeddings.IsReady
            ? HealthCheckResult.Healthy("Silo active and model loaded.", data)
            : HealthCheckResult.Unhealthy(!silo.IsActive ? "Silo is not active in the cluster." : "Embedding model is not loaded yet.", data: data);
        return Task.FromResult(result);
    }
}

public static class HealthEndpoints
{
    private const string ReadyTag = "ready";

    public static IServiceCollection AddRagHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<ReadinessCheck>("silo-and-model", tags: [ReadyTag]);
        return services;
    }

    /// <summary>/health: the process is alive (no checks). /ready: silo active and model loaded.</summary>
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
