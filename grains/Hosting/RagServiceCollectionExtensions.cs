using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrleansRag.Conversations;
using OrleansRag.Embedding;
using OrleansRag.Generation;
using OrleansRag.Ingestion;
using OrleansRag.Ingestion.Extractors;
using OrleansRag.Ingestion.Pipeline;
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
        services.AddOptions<RetrievalOptions>().Bind(configuration.GetSection(RetrievalOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ShardMemoryLedger>();
        services.AddOptions<ConversationOptions>().Bind(configuration.GetSection(ConversationOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
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
        services.AddSingleton<IIncomingGrainCallFilter, StorageFailureFilter>();
        services.AddSingleton<IOutgoingGrainCallFilter, PrincipalSigningFilter>();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<EmbeddingService>();
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddingService>());
        services.AddSingleton<AnswerCache>();
        services.AddSingleton<CollectionDirectory>();
        services.AddSingleton<Retriever>();
        services.AddSingleton<AnswerPipeline>();
        services.AddSingleton(FollowUpCondenser);
        services.AddSingleton<LanguageModelGenerator>(); // resolved only when Generation:Provider names a model
        services.TryAddSingleton<IShardStore, InMemoryShardStore>(); // production mode registers Redis first
        services.TryAddSingleton<IDocumentSourceStore, InMemoryDocumentSourceStore>();
        services.TryAddSingleton<IStorageGeneration, InMemoryStorageGeneration>();
        services.AddRagIngestionPipeline();

        return services;
    }

    /// <summary>How follow-ups are condensed (<see cref="ConversationOptions.Condense"/>): by the model when one is configured, else offline.</summary>
    private static IFollowUpCondenser FollowUpCondenser(IServiceProvider services)
    {
        var conversations = services.GetRequiredService<IOptions<ConversationOptions>>().Value;
        var generation = services.GetRequiredService<IOptions<GenerationOptions>>().Value;
        return conversations.Condense switch
        {
            CondenseMode.Off => new NoFollowUpCondenser(),
            CondenseMode.Auto when generation.UsesLanguageModel => new LanguageModelFollowUpCondenser(
                services.GetRequiredService<LanguageModelGenerator>(),
                services.GetRequiredService<EmbeddingService>(),
                conversations.HistoryTokenBudget),
            _ => new KeywordFollowUpCondenser(),
        };
    }

    /// <summary>
    /// The ingestion pipeline's stages, wired once: one <see cref="IDocumentExtractor"/> per entry of
    /// <see cref="ContentTypes.All"/> (checked when the pipeline is built), the normaliser and the chunker.
    /// </summary>
    public static IServiceCollection AddRagIngestionPipeline(this IServiceCollection services)
    {
        services.AddSingleton<IDocumentExtractor, PlainTextExtractor>();
        services.AddSingleton<IDocumentExtractor, MarkdownExtractor>();
        services.AddSingleton<IDocumentExtractor, HtmlExtractor>();
        services.AddSingleton<IDocumentExtractor, PdfExtractor>();
        services.AddSingleton<IDocumentExtractor, DocxExtractor>();
        services.TryAddSingleton<ITextNormalizer, TextNormalizer>();
        services.TryAddSingleton<IDocumentChunker, SectionChunker>();
        services.AddSingleton<IngestionPipeline>();
        return services;
    }
}
