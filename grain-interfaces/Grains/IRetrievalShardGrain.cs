using Orleans.Concurrency;

namespace OrleansRag;

/// <summary>A slice of a collection's vector index; key: tenant/collection/shardNumber.</summary>
public interface IRetrievalShardGrain : IGrainWithStringKey
{
    /// <summary>Replaces every chunk of the document; returns once the entry is durable and searchable.</summary>
    Task UpsertDocumentAsync(DocumentSummary summary, IndexedChunk[] chunks);

    Task RemoveDocumentAsync(string documentId);

    /// <summary>Exact top-k by cosine similarity over this shard's chunks.</summary>
    [ReadOnly]
    Task<SearchHit[]> SearchAsync(float[] query, int topK);

    [ReadOnly]
    Task<DocumentSummary[]> ListDocumentsAsync();

    /// <summary>One document's chunks with their vectors.</summary>
    [ReadOnly]
    Task<IndexedChunk[]> GetDocumentChunksAsync(string documentId);

    [ReadOnly]
    Task<int> CountAsync();
}
