using Orleans.Concurrency;

namespace OrleansRag;

/// <summary>One document of one collection; key: tenant/collection/documentId.</summary>
public interface IDocumentGrain : IGrainWithStringKey
{
    /// <summary>Parses, chunks, embeds and indexes the document; acknowledged once the chunks are stored.</summary>
    Task<IngestResult> UpsertAsync(DocumentInput document);

    [ReadOnly]
    Task<DocumentInfo?> GetAsync();

    /// <summary>Removes the document and its chunks; false when it did not exist.</summary>
    Task<bool> DeleteAsync();

    /// <summary>
    /// The document's chunks with their vectors (used by a shard that rebuilds its index). Interleaves with an
    /// upsert in flight, which may itself be waiting on that shard.
    /// </summary>
    [AlwaysInterleave]
    Task<IndexedChunk[]> GetChunksAsync();
}
