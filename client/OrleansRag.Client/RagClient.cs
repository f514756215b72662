using Microsoft.Extensions.Options;

namespace OrleansRag.Client;

/// <summary><see cref="IRagClient"/> over an <see cref="IGrainFactory"/> (an Orleans client or a co-hosted silo).</summary>
public sealed class RagClient(IGrainFactory grains, IOptions<RagClientOptions> options) : IRagClient
{
    private readonly string _tenant = options.Value.Tenant;

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
        var registry = grains.GetGrain<ICollectionGrain>(GrainKeys.Collection(_tenant, collection));
        var info = await registry.GetInfoAsync().WaitAsync(cancellationToken);
        return info.Exists
            ? await registry.ListDocumentsAsync().WaitAsync(cancellationToken)
            : throw RagNotFoundException.Collection(collection);
    }

    public async Task<SearchResponse> SearchAsync(string collection, string query, int topK = RagConstants.DefaultTopK, CancellationToken cancellationToken = default)
    {
        RagValidation.ThrowIfInvalid(RagValidation.CheckQueryRequest(collection, nameof(query), query, topK), nameof(query));
        return await Query(collection).SearchAsync(query, topK).WaitAsync(cancellationToken)
            ?? throw RagNotFoundException.Collection(collection);
    }

    public async Task<AskResponse> AskAsync(string collection, string question, int topK = RagConstants.DefaultTopK, CancellationToken cancellationToken = default)
    {
        RagValidation.ThrowIfInvalid(RagValidation.CheckQueryRequest(collection, nameof(question), question, topK), nameof(question));
        return await Query(collection).AskAsync(question, topK).WaitAsync(cancellationToken)
            ?? throw RagNotFoundException.Collection(collection);
    }

    private IDocumentGrain Document(string collection, string documentId) =>
        grains.GetGrain<IDocumentGrain>(GrainKeys.Document(_tenant, collection, documentId));

    private IQueryGrain Query(string collection) => grains.GetGrain<IQueryGrain>(GrainKeys.Collection(_tenant, collection));

    private static void CheckIds(string collection, string documentId)
    {
        RagValidation.ThrowIfInvalid(RagValidation.CheckId(nameof(collection), collection), nameof(collection));
        RagValidation.ThrowIfInvalid(RagValidation.CheckId(nameof(documentId), documentId), nameof(documentId));
    }
}
