using Orleans.Concurrency;
using OrleansRag.Security;

namespace OrleansRag;

/// <summary>A slice of a collection's vector index; key: tenant/collection/shardNumber.</summary>
[TenantScoped(TenantScope.KeyPrefix)]
[Alias("OrleansRag.IRetrievalShardGrain")]
public interface IRetrievalShardGrain : IGrainWithStringKey
{
    /// <summary>Stores one part of a document version that is not searchable until <see cref="CommitDocumentAsync"/>.</summary>
    [RequiresRole(RagRole.Writer)]
    Task StagePartAsync(string documentId, string version, int part, IndexedChunk[] chunks, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes a document version durable and searchable in one step, replacing the previous one; true when the
    /// document was not searchable before (a new document for the collection's count).
    /// </summary>
    [RequiresRole(RagRole.Writer)]
    Task<bool> CommitDocumentAsync(ShardCommit commit, CancellationToken cancellationToken = default);

    /// <summary>Drops staged parts of a version that will not be committed.</summary>
    [RequiresRole(RagRole.Writer)]
    Task DiscardStagedAsync(string documentId, string version, CancellationToken cancellationToken = default);

    /// <summary>Records the status of a document's latest version in the listing; what is searchable does not change.</summary>
    [RequiresRole(RagRole.Writer)]
    Task SetStatusAsync(DocumentSummary summary, CancellationToken cancellationToken = default);

    /// <summary>Removes the document; true when the shard had it searchable.</summary>
    [RequiresRole(RagRole.Writer)]
    Task<bool> RemoveDocumentAsync(string documentId, CancellationToken cancellationToken = default);

    /// <summary>Exact top-k of this shard by cosine similarity (Dense) or BM25 with collection-wide statistics (Bm25).</summary>
    [ReadOnly]
    Task<SearchHit[]> SearchAsync(ShardQuery query, CancellationToken cancellationToken = default);

    /// <summary>This shard's BM25 statistics for the distinct query terms.</summary>
    [ReadOnly]
    Task<Bm25Stats> GetBm25StatsAsync(string[] distinctTerms, CancellationToken cancellationToken = default);

    [ReadOnly]
    Task<DocumentSummary[]> ListDocumentsAsync();

    /// <summary>A page of one served document's chunks in chunk order, with their vectors when <paramref name="withVectors"/>.</summary>
    [ReadOnly]
    Task<ChunkPage> GetDocumentChunksAsync(string documentId, int offset, int limit, bool withVectors);

    /// <summary>How many documents this shard serves (searchable versions) and how many chunks they have; never waits behind a write.</summary>
    [AlwaysInterleave]
    Task<ShardSize> GetSizeAsync();

    /// <summary>This shard's memory: vectors and search structure, chunk text, BM25 postings (also in the metrics summary).</summary>
    [ReadOnly]
    Task<OrleansRag.Monitoring.ShardFootprint> GetFootprintAsync();
}
