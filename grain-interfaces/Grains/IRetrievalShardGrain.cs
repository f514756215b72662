using Orleans.Concurrency;

namespace OrleansRag;

/// <summary>A slice of a collection's vector index; key: tenant/collection/shardNumber.</summary>
public interface IRetrievalShardGrain : IGrainWithStringKey
{
    /// <summary>Replaces every chunk of <paramref name="documentId"/> with <paramref name="chunks"/>.</summary>
    Task UpsertDocumentAsync(string documentId, IndexedChunk[] chunks);

    Task RemoveDocumentAsync(string documentId);

    /// <summary>Exact top-k by cosine similarity over this shard's chunks.</summary>
    [ReadOnly]
    Task<SearchHit[]> SearchAsync(float[] query, int topK);

    [ReadOnly]
    Task<int> CountAsync();
}
