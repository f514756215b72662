using Microsoft.Extensions.Options;

namespace OrleansRag.Client;

/// <summary><see cref="IRagClient"/> over an <see cref="IGrainFactory"/> (an Orleans client or a co-hosted silo).</summary>
public sealed class RagClient(IGrainFactory grains, IOptions<RagClientOptions> options) : IRagClient
{
    private readonly string _tenant = options.Value.Tenant;

    /// <summary>Search default: dense ranking of chunks, top 5.</summary>
    public static readonly SearchOptions DefaultSearchOptions = new();

    /// <summary>Ask default: hybrid ranking (dense + BM25 fused), which measures better on SciFact.</summary>
    public static readonly SearchOptions DefaultAskOptions = new(Mode: SearchMode.Hybrid);

    public Task<IngestResult> IngestAsync(string collection, string documentId, DocumentInput document, CancellationToken cancellationToken = default)
    {
        CheckIds(collection, documentId);
        RagValidation.ThrowIfInvalid(RagValidation.CheckDocument(document), nameof(document));
        return Document(collection, documentId).UpsertAsync(document).WaitAsync(cancellationToken);
    }

    public Task<DocumentInfo?> GetAsync(string collection, string documentId, CancellationToken cancellationToken = default)
    {
        CheckIds(collection, documentId);
        return Document(collection, documentId).GetAsync().WaitAsync(cancellationToken);
    }

    public Task<bool> DeleteAsync(string collection, string documentId, CancellationToken cancellationToken = default)
    {
        CheckIds(collection, documentId);
        return Document(collection, documentId).DeleteAsync().WaitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<DocumentSummary>> ListAsync(string collection, CancellationToken cancellationToken = default)
    {
        RagValidation.ThrowIfInvalid(RagValidation.CheckId(nameof(collection), collection), nameof(collection));
        var registry = Registry(collection);
        var info = await registry.GetInfoAsync().WaitAsync(cancellationToken);
        return info.Exists
            ? await registry.ListDocumentsAsync().WaitAsync(cancellationToken)
            : throw RagNotFoundException.Collection(collection);
    }

    public async Task<SearchResponse> SearchAsync(string collection, string query, SearchOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= DefaultSearchOptions;
        RagValidation.ThrowIfInvalid(RagValidation.CheckQueryRequest(collection, nameof(query), query, options), nameof(query));
        return await Query(collection).SearchAsync(query, options).WaitAsync(cancellationToken)
            ?? throw RagNotFoundException.Collection(collection);
    }

    public async Task<AskResponse> AskAsync(string collection, string question, SearchOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= DefaultAskOptions;
        RagValidation.ThrowIfInvalid(RagValidation.CheckQueryRequest(collection, nameof(question), question, options), nameof(question));
        return await Query(collection).AskAsync(question, options).WaitAsync(cancellationToken)
            ?? throw RagNotFoundException.Collection(collection);
    }

    public IAsyncEnumerable<AskStreamEvent> AskStreamAsync(string collection, string question, SearchOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= DefaultAskOptions;
        RagValidation.ThrowIfInvalid(RagValidation.CheckQueryRequest(collection, nameof(question), question, options), nameof(question));
        return grains.GetGrain<IAnswerStreamGrain>(Guid.NewGuid()).AskStreamAsync(GrainKeys.Collection(_tenant, collection), question, options, cancellationToken);
    }

    public Task<CollectionInfo> CreateCollectionAsync(string collection, CollectionSettings settings, CancellationToken cancellationToken = default)
    {
        RagValidation.ThrowIfInvalid(RagValidation.CheckId(nameof(collection), collection), nameof(collection));
        ArgumentNullException.ThrowIfNull(settings);
        RagValidation.ThrowIfInvalid(RagValidation.CheckCollectionSettings(settings), nameof(settings));
        return Registry(collection).CreateAsync(settings).WaitAsync(cancellationToken);
    }

    public async Task<CollectionInfo?> GetCollectionAsync(string collection, CancellationToken cancellationToken = default)
    {
        RagValidation.ThrowIfInvalid(RagValidation.CheckId(nameof(collection), collection), nameof(collection));
        var info = await Registry(collection).GetInfoAsync().WaitAsync(cancellationToken);
        return info.Exists ? info : null;
    }

    private IDocumentGrain Document(string collection, string documentId) =>
        grains.GetGrain<IDocumentGrain>(GrainKeys.Document(_tenant, collection, documentId));

    private ICollectionGrain Registry(string collection) => grains.GetGrain<ICollectionGrain>(GrainKeys.Collection(_tenant, collection));

    private IQueryGrain Query(string collection) => grains.GetGrain<IQueryGrain>(GrainKeys.Collection(_tenant, collection));

    private static void CheckIds(string collection, string documentId)
    {
        RagValidation.ThrowIfInvalid(RagValidation.CheckId(nameof(collection), collection), nameof(collection));
        RagValidation.ThrowIfInvalid(RagValidation.CheckId(nameof(documentId), documentId), nameof(documentId));
    }
}
