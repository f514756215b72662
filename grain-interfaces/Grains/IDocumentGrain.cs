using Orleans.Concurrency;
using OrleansRag.Security;

namespace OrleansRag;

/// <summary>
/// One document of one collection; key: tenant/collection/documentId. It owns the document's identity, write
/// order and status: small text is ingested while the caller waits; files and large text are kept durably,
/// processed in the background (retried with backoff after transient failures, resumed after a silo loss)
/// and switched into the index in one step when complete.
/// </summary>
[TenantScoped(TenantScope.KeyPrefix)]
[Alias("OrleansRag.IDocumentGrain")]
public interface IDocumentGrain : IGrainWithStringKey
{
    /// <summary>
    /// Ingests text (plain, Markdown, HTML): while the caller waits when small (Created/Updated/Unchanged),
    /// queued when larger than <c>Ingestion:SyncMaxBytes</c> (Accepted).
    /// </summary>
    [RequiresRole(RagRole.Writer)]
    Task<IngestResult> UpsertAsync(DocumentInput document, CancellationToken cancellationToken = default);

    /// <summary>Stores a piece of a file upload at <paramref name="offset"/> (pieces in order; a retried piece is not stored twice).</summary>
    [RequiresRole(RagRole.Writer)]
    Task UploadPartAsync(string uploadId, long offset, byte[] data, CancellationToken cancellationToken = default);

    /// <summary>
    /// Ingests an uploaded file of <paramref name="length"/> bytes: checked against its content type at once
    /// (a mismatch is refused), then ingested while the caller waits (small text) or queued (Accepted).
    /// </summary>
    [RequiresRole(RagRole.Writer)]
    Task<IngestResult> SubmitUploadAsync(string uploadId, DocumentUpload upload, long length, CancellationToken cancellationToken = default);

    /// <summary>The served version and the status of the latest one; null when the document is unknown.</summary>
    [AlwaysInterleave]
    Task<DocumentInfo?> GetAsync();

    /// <summary>Removes the document, its chunks and any pending version; false when it did not exist.</summary>
    [RequiresRole(RagRole.Writer)]
    Task<bool> DeleteAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// A page of the served version's chunks in chunk order, as its shard holds them (with vectors and sentence vectors
    /// when <paramref name="withVectors"/>); null when the document does not exist.
    /// </summary>
    [ReadOnly]
    Task<ChunkPage?> GetChunksAsync(int offset = 0, int limit = int.MaxValue, bool withVectors = false);

    /// <summary>Stages a part of an imported version's chunks (with vectors) in the document's shard, not yet searchable.</summary>
    [RequiresRole(RagRole.Writer)]
    Task ImportPartAsync(string version, int part, IndexedChunk[] chunks, CancellationToken cancellationToken = default);

    /// <summary>
    /// Restores a version from an export archive: committed at once when its vectors are of the collection's model
    /// (Created/Updated), else queued to be embedded again from its chunk list (Accepted).
    /// </summary>
    [RequiresRole(RagRole.Writer)]
    Task<IngestResult> ImportAsync(DocumentImport import, CancellationToken cancellationToken = default);

    /// <summary>The served version's original file (type, size, whether it was kept); null when no version is served.</summary>
    [AlwaysInterleave]
    Task<DocumentOriginal?> GetOriginalAsync();

    /// <summary>
    /// Up to <paramref name="count"/> bytes (at most 1 MiB) of the original of <paramref name="version"/> from
    /// <paramref name="offset"/>; <see cref="DocumentChangedException"/> once that version is no longer served.
    /// </summary>
    [ReadOnly]
    Task<byte[]> ReadOriginalAsync(string version, long offset, int count, CancellationToken cancellationToken = default);
}
