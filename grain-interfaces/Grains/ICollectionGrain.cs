using Orleans.Concurrency;

namespace OrleansRag;

/// <summary>The registry of one collection: its shard count, version and documents; key: tenant/collection.</summary>
public interface ICollectionGrain : IGrainWithStringKey
{
    [ReadOnly]
    Task<CollectionInfo> GetInfoAsync();

    /// <summary>Creates the collection on first use and returns its info (shard count is fixed at creation).</summary>
    Task<CollectionInfo> EnsureCreatedAsync();

    Task RegisterDocumentAsync(DocumentSummary document, int shard);

    Task UnregisterDocumentAsync(string documentId);

    [ReadOnly]
    Task<DocumentSummary[]> ListDocumentsAsync();

    /// <summary>Ids of the documents that live in one shard.</summary>
    [ReadOnly]
    Task<string[]> GetShardDocumentsAsync(int shard);
}
