using Orleans.Concurrency;
using OrleansRag.Security;

namespace OrleansRag;

/// <summary>A slice of a collection's vector index; key: tenant/collection/shardNumber.</summary>
public interface IRetrievalShardGrain : IGrainWithStringKey
{
    /// <summary>Replaces every chunk of the document; returns once the entry is durable and searchable.</summary>
    [RequiresRole(RagRole.Writer)]
    Task UpsertDocumentAsync(DocumentSummary summary, IndexedChunk[] chunks, IReadOnlyDictionary<string, MetadataValue>? metadata = null);

    [RequiresRole(RagRole.Writer)]
    Task RemoveDocumentAsync(string documentId);

    /// <summary>Exact top-k of this shard by cosine similarity (Dense) or BM25 with collection-wide statistics (Bm25).</summary>
    [ReadOnly]
    Task<SearchHit[]> SearchAsync(ShardQuery query);

    /// <summary>This shard's BM25 statistics for the distinct query terms.</summary>
    [ReadOnly]
    Task<Bm25Stats> GetBm25StatsAsync(string[] distinctTerms);

    [ReadOnly]
    Task<DocumentSummary[]> ListDocumentsAsync();

    /// <summary>One document's chunks with their vectors.</summary>
    [ReadOnly]
    Task<IndexedChunk[]> GetDocumentChunksAsync(string documentId);

    [ReadOnly]
    Task<int> CountAsync();
}
