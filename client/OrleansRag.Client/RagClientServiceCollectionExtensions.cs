using Microsoft.Extensions.DependencyInjection;

namespace OrleansRag.Client;

public static class RagClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IRagClient"/> over the Orleans client (or silo) already in the container:
    /// <c>builder.UseOrleansClient(...); builder.Services.AddRagClient();</c>
    /// </summary>
    public static IServiceCollection AddRagClient(this IServiceCollection services, Action<RagClientOptions>? configure = null)
    {
        var options = services.AddOptions<RagClientOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.Validate(o => RagValidation.CheckId(nameof(RagClientOptions.Tenant), o.Tenant) is null, "RagClientOptions.Tenant is not a valid id.");
        options.Validate(o => o.ApiKey is null || Security.ApiKeys.TryGetId(o.ApiKey, out _), "RagClientOptions.ApiKey is not an OrleansRag API key (orag_<id>_<secret>).");
        services.AddSingleton<IRagClient, RagClient>();
        return services;
    }
}
