using Orleans.Concurrency;
using OrleansRag.Security;

namespace OrleansRag;

/// <summary>One document of one collection; key: tenant/collection/documentId.</summary>
public interface IDocumentGrain : IGrainWithStringKey
{
    /// <summary>Parses, chunks, embeds and indexes the document; acknowledged once the chunks are stored.</summary>
    [RequiresRole(RagRole.Writer)]
    Task<IngestResult> UpsertAsync(DocumentInput document);

    [ReadOnly]
    Task<DocumentInfo?> GetAsync();

    /// <summary>Removes the document and its chunks; false when it did not exist.</summary>
    [RequiresRole(RagRole.Writer)]
    Task<bool> DeleteAsync();

    /// <summary>The document's chunks with their vectors, as its shard holds them.</summary>
    [ReadOnly]
    Task<IndexedChunk[]> GetChunksAsync();
}
