using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrleansRag.Blobs;
using OrleansRag.Conversations;
using OrleansRag.Embedding;
using OrleansRag.Generation;
using OrleansRag.Ingestion;
using OrleansRag.Ingestion.Extractors;
using OrleansRag.Ingestion.Ocr;
using OrleansRag.Ingestion.Pipeline;
using OrleansRag.Monitoring;
using OrleansRag.Query;
using OrleansRag.Retrieval;
using OrleansRag.Security;

namespace OrleansRag.Hosting;

public static class RagServiceCollectionExtensions
{
    /// <summary>
    /// Registers what the grains need on a silo, one capability at a time: security, embedding, ingestion, retrieval,
    /// answers, conversations, monitoring and alerting. Each capability binds and validates its own options (at start),
    /// once. Stores registered before this call (production's Redis) win over the in-memory defaults.
    /// </summary>
    public static IServiceCollection AddRagGrainServices(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<RagInstruments>(); // the host's one OrleansRag meter and its request instruments
        return services
            .AddRagGrainSecurity(configuration)
            .AddRagEmbedding(configuration)
            .AddRagIngestion(configuration)
            .AddRagRetrieval(configuration)
            .AddRagAnswers(configuration)
            .AddRagConversations(configuration)
            .AddRagSources(configuration)
            .AddRagMonitoring(configuration)
            .AddRagAlerting(configuration);
    }

    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to its configuration section and validates it (data annotations, and
    /// <see cref="IValidateOptions{TOptions}"/> registered for it) when the host starts: the one way options are bound.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, IConfiguration configuration, string section)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddOptions<TOptions>().Bind(configuration.GetSection(section)).ValidateDataAnnotations().ValidateOnStart();
    }

    /// <summary>API keys verified in the cluster: the tenant and role checks on every grain call, the signing of internal calls.</summary>
    public static IServiceCollection AddRagGrainSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<SecurityOptions>(configuration, SecurityOptions.SectionName);
        services.AddSingleton<ApiKeyVerifier>();
        services.AddSingleton<IIncomingGrainCallFilter, TenantAccessFilter>();
        services.AddSingleton<IIncomingGrainCallFilter, StorageFailureFilter>();
        services.AddSingleton<IOutgoingGrainCallFilter, PrincipalSigningFilter>();
        return services;
    }

    /// <summary>
    /// The silo's ONNX embedding models, each with its batching lanes: the default for new collections loaded when the host
    /// starts (and served as <see cref="EmbeddingService"/>), the others when a collection first needs them.
    /// </summary>
    public static IServiceCollection AddRagEmbedding(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<EmbeddingOptions>(configuration, EmbeddingOptions.SectionName);
        services.AddSingleton<EmbeddingModels>();
        services.AddSingleton(sp => sp.GetRequiredService<EmbeddingModels>().Default);
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddingModels>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<EmbeddingModels>());
        return services;
    }

    /// <summary>
    /// Documents: the pipeline's stages, where uploads wait (in memory unless a durable store is registered) and where
    /// originals are kept (the configured blob store).
    /// </summary>
    public static IServiceCollection AddRagIngestion(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<IngestionOptions>(configuration, IngestionOptions.SectionName);
        services.TryAddSingleton<IDocumentSourceStore, InMemoryDocumentSourceStore>();
        services.AddValidatedOptions<BlobStoreOptions>(configuration, BlobStoreOptions.SectionName);
        services.TryAddSingleton(sp => BlobStores.Create(sp.GetRequiredService<IOptions<BlobStoreOptions>>().Value));
        services.AddSingleton<DocumentOriginals>();
        services.TryAddSingleton<NotificationSender>(); // ingestion events go out as alert notifications do
        services.AddSingleton<IngestionEvents>();
        services.AddValidatedOptions<OcrOptions>(configuration, OcrOptions.SectionName);
        return services.AddRagIngestionPipeline();
    }

    /// <summary>Shards: their store (in memory unless a durable one is registered), the memory ledger and the collection directory.</summary>
    public static IServiceCollection AddRagRetrieval(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<RetrievalOptions>(configuration, RetrievalOptions.SectionName);
        services.AddSingleton<ShardMemoryLedger>();
        services.TryAddSingleton<IShardStore, InMemoryShardStore>();
        services.TryAddSingleton<IStorageGeneration, InMemoryStorageGeneration>();
        services.AddSingleton<CollectionDirectory>();
        services.AddSingleton<Retriever>();
        return services;
    }

    /// <summary>
    /// Answers: the answer pipeline and its cache, the extractive generator, the language model when one is configured, and
    /// the query log (in memory unless a durable one is registered).
    /// </summary>
    public static IServiceCollection AddRagAnswers(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<GenerationOptions>(configuration, GenerationOptions.SectionName);
        services.AddValidatedOptions<QueryOptions>(configuration, QueryOptions.SectionName);
        services.AddValidatedOptions<Generation.Rerank.RerankOptions>(configuration, Generation.Rerank.RerankOptions.SectionName);
        services.AddSingleton<IValidateOptions<Generation.Rerank.RerankOptions>, Generation.Rerank.RerankNeedsAReranker>();
        services.AddSingleton<Generation.Rerank.Reranking>();
        services.AddSingleton<AnswerCache>();
        services.AddValidatedOptions<Query.QueryLog.QueryLogOptions>(configuration, Query.QueryLog.QueryLogOptions.SectionName);
        services.TryAddSingleton<Query.QueryLog.IQueryLog, Query.QueryLog.MemoryQueryLog>();
        services.AddSingleton<Query.QueryLog.QueryLogRecorder>();
        services.AddSingleton<AnswerPipeline>();
        services.AddSingleton<LanguageModelGenerator>(); // made on first use: only when Generation:Provider names a model
        services.AddSingleton(sp => new Lazy<LanguageModelGenerator>(sp.GetRequiredService<LanguageModelGenerator>));
        return services;
    }

    /// <summary>Conversations and how their follow-ups are condensed.</summary>
    public static IServiceCollection AddRagConversations(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<ConversationOptions>(configuration, ConversationOptions.SectionName);
        services.AddSingleton(FollowUpCondenser);
        return services;
    }

    /// <summary>Sources that keep collections in sync with folders, buckets and web sites.</summary>
    public static IServiceCollection AddRagSources(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<Sources.SourceOptions>(configuration, Sources.SourceOptions.SectionName);
        services.TryAddSingleton<Sources.SourceReaders>();
        services.TryAddSingleton<Sources.SourceSecretProtector>();
        return services;
    }

    /// <summary>The silo's metrics: instruments aggregated per interval, published on the metrics stream.</summary>
    public static IServiceCollection AddRagMonitoring(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<MonitoringOptions>(configuration, MonitoringOptions.SectionName);
        services.AddSingleton<SiloMetricsCollector>();
        services.AddHostedService(sp => sp.GetRequiredService<SiloMetricsCollector>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloMetricsCollector>());
        return services;
    }

    /// <summary>Alert rules evaluated in the cluster and their notifications.</summary>
    public static IServiceCollection AddRagAlerting(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<AlertingOptions>(configuration, AlertingOptions.SectionName);
        services.TryAddSingleton<NotificationSender>();
        services.AddHostedService<AlertingStartup>();
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
    /// <see cref="ContentTypes.All"/> (checked when the pipeline is built), OCR for scanned pages (Tesseract, checked when the
    /// host starts), the normaliser and the chunker.
    /// </summary>
    public static IServiceCollection AddRagIngestionPipeline(this IServiceCollection services)
    {
        services.TryAddSingleton<TesseractOcrEngine>();
        services.TryAddSingleton<IOcrEngine>(sp => sp.GetRequiredService<TesseractOcrEngine>());
        services.AddHostedService(sp => sp.GetRequiredService<TesseractOcrEngine>());
        services.AddSingleton<OcrStage>();
        services.AddSingleton<IDocumentExtractor, PlainTextExtractor>();
        services.AddSingleton<IDocumentExtractor, MarkdownExtractor>();
        services.AddSingleton<IDocumentExtractor, HtmlExtractor>();
        services.AddSingleton<IDocumentExtractor, PdfExtractor>();
        services.AddSingleton<IDocumentExtractor, DocxExtractor>();
        services.AddSingleton<IDocumentExtractor, PngExtractor>();
        services.AddSingleton<IDocumentExtractor, JpegExtractor>();
        services.AddSingleton<IDocumentExtractor, TiffExtractor>();
        services.TryAddSingleton<ITextNormalizer, TextNormalizer>();
        services.TryAddSingleton<IDocumentChunker, SectionChunker>();
        services.AddSingleton<IngestionPipeline>();
        return services;
    }
}
