using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrleansRag.Embedding;
using OrleansRag.Generation;
using OrleansRag.Ingestion;
using OrleansRag.Monitoring;
using OrleansRag.Query;
using OrleansRag.Retrieval;
using OrleansRag.Security;

namespace OrleansRag.Hosting;

public static class RagServiceCollectionExtensions
{
    /// <summary>
    /// Registers what the grains need on a silo: validated options bound from configuration, the silo's ONNX
    /// embedding service (loaded at start), the answer cache and (unless one is registered already) the
    /// in-memory shard store.
    /// </summary>
    public static IServiceCollection AddRagGrainServices(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<EmbeddingOptions>().Bind(configuration.GetSection(EmbeddingOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<IngestionOptions>().Bind(configuration.GetSection(IngestionOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<GenerationOptions>().Bind(configuration.GetSection(GenerationOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<QueryOptions>().Bind(configuration.GetSection(QueryOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SecurityOptions>().Bind(configuration.GetSection(SecurityOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<MonitoringOptions>().Bind(configuration.GetSection(MonitoringOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AlertingOptions>().Bind(configuration.GetSection(AlertingOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SiloMetricsCollector>();
        services.AddHostedService(sp => sp.GetRequiredService<SiloMetricsCollector>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloMetricsCollector>());
        services.AddSingleton<NotificationSender>();
        services.AddHostedService<AlertingStartup>();
        services.AddSingleton<ApiKeyVerifier>();
        services.AddSingleton<IIncomingGrainCallFilter, TenantAccessFilter>();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<EmbeddingService>();
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddingService>());
        services.AddSingleton<AnswerCache>();
        services.AddSingleton<LanguageModelGenerator>(); // resolved only when Generation:Provider names a model
        services.TryAddSingleton<IShardStore, InMemoryShardStore>(); // production mode registers Redis first

        return services;
    }
}
