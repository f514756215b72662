namespace OrleansRag;

/// <summary>A document to ingest as text (plain, Markdown or HTML) with a title and metadata (for filters).</summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.DocumentInput")]
public sealed record class DocumentInput(
    string Text,
    string? Title = null,
    string? ContentType = null,
    IReadOnlyDictionary<string, MetadataValue>? Metadata = null);

public enum IngestStatus
{
    /// <summary>The document did not exist before.</summary>
    Created,

    /// <summary>The document existed with other content; its chunks were replaced.</summary>
    Updated,

    /// <summary>The same content was already stored; nothing changed.</summary>
    Unchanged,

    /// <summary>Taken for processing in the background; the document's status tells when it is ready.</summary>
    Accepted,
}

/// <summary>Where a document's latest version is on its way into the index.</summary>
public enum DocumentStatus
{
    /// <summary>Stored and waiting for the pipeline (or for its next attempt after a transient failure).</summary>
    Queued,

    /// <summary>Being extracted, chunked, embedded and indexed.</summary>
    Processing,

    /// <summary>Indexed and searchable.</summary>
    Ready,

    /// <summary>Given up on; <c>error</c> says why. A previous ready version, if any, is still served.</summary>
    Failed,
}

/// <summary>
/// A file to ingest as it is (its bytes travel beside this): the media type says how to read it
/// (see <see cref="ContentTypes"/>); the title defaults to the document's own (PDF info, DOCX core title,
/// HTML &lt;title&gt;, first heading).
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.DocumentUpload")]
public sealed record class DocumentUpload(
    string ContentType,
    string? Title = null,
    IReadOnlyDictionary<string, MetadataValue>? Metadata = null);

[GenerateSerializer, Immutable, Alias("OrleansRag.IngestResult")]
public sealed record class IngestResult(
    string Collection,
    string DocumentId,
    IngestStatus Status,
    int ChunkCount,
    string ContentHash,
    DocumentStatus DocumentStatus = DocumentStatus.Ready);

/// <summary>One line of a collection listing.</summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.DocumentSummary")]
public sealed record class DocumentSummary(
    string Id,
    string Title,
    string ContentType,
    int ChunkCount,
    string ContentHash,
    DateTimeOffset UpdatedAt,
    DocumentStatus Status = DocumentStatus.Ready,
    string? Error = null,
    int? PageCount = null,
    int[]? OcrPages = null);

/// <summary>
/// A document as returned by GET: the version that is served (title, metadata, chunks) and the status of the
/// latest one sent. <c>Text</c> is the text as sent for documents ingested as JSON text, null for files.
/// <c>OcrPages</c> are the served version's pages whose text was read by OCR (scanned PDF pages, images); null when none.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.DocumentInfo")]
public sealed record class DocumentInfo(
    string Collection,
    string Id,
    string Title,
    string ContentType,
    IReadOnlyDictionary<string, MetadataValue> Metadata,
    string? Text,
    int ChunkCount,
    string ContentHash,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DocumentStatus Status = DocumentStatus.Ready,
    string? Error = null,
    int Attempts = 0,
    DateTimeOffset? NextAttemptAt = null,
    string? Stage = null,
    int? PageCount = null,
    long? SourceBytes = null,
    bool Searchable = true,
    string? ProcessingSilo = null,
    int[]? OcrPages = null);

/// <summary>A collection's identity and settings, and how many documents its shards serve.</summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.CollectionInfo")]
public sealed record class CollectionInfo(
    string Name,
    bool Exists,
    int ShardCount,
    long Version,
    int DocumentCount,
    int? ChunkTokens = null,
    int? ChunkOverlapTokens = null,
    long ChunkCount = 0,
    EmbeddingModelInfo? EmbeddingModel = null,
    bool? Rerank = null);

/// <summary>
/// Settings fixed when a collection is created (null = the silo's configured default). ChunkTokens 0 keeps
/// each document whole as one chunk (the embedder truncates it at the model's limit, as MTEB does). EmbeddingModel names
/// one of the models the cluster serves (null = the silo's default for new collections). Rerank: whether asks and searches
/// are reranked when the request does not say (null = <c>Rerank:Enabled</c>).
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.CollectionSettings")]
public sealed record class CollectionSettings(int? ShardCount = null, int? ChunkTokens = null, int? ChunkOverlapTokens = null, string? EmbeddingModel = null, bool? Rerank = null);

/// <summary>What one shard serves: documents with a searchable version, and their chunks.</summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.ShardSize")]
public sealed record class ShardSize([property: Id(0)] int Documents, [property: Id(1)] long Chunks)
{
    /// <summary>The size of a collection: its shards' sizes added up.</summary>
    public static ShardSize Sum(IEnumerable<ShardSize> shards) =>
        shards.Aggregate(new ShardSize(0, 0), (total, shard) => new ShardSize(total.Documents + shard.Documents, total.Chunks + shard.Chunks));
}

/// <summary>One collection in a tenant's listing: its settings and size.</summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.CollectionSize")]
public sealed record class CollectionSize(
    [property: Id(0)] string Name,
    [property: Id(1)] int ShardCount,
    [property: Id(2)] int DocumentCount,
    [property: Id(3)] long ChunkCount,
    [property: Id(4)] int? ChunkTokens,
    [property: Id(5)] string? EmbeddingModel = null);

/// <summary>GET /v1/collections.</summary>
public sealed record class CollectionList(IReadOnlyList<CollectionSize> Collections);

/// <summary>
/// One chunk of a document as it is indexed: its place, text, pages, the heading of its section and its length in the
/// embedding model's word pieces (section and token count are null for chunks indexed before they were recorded).
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.DocumentChunk")]
public sealed record class DocumentChunk(int Index, string Text, int? Page = null, int? LastPage = null, string? Section = null, int? TokenCount = null)
{
    /// <summary>The listing form of an indexed chunk (no vectors).</summary>
    public static DocumentChunk Of(IndexedChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        return new(chunk.ChunkIndex, chunk.Text, chunk.Page, chunk.LastPage, chunk.Section, chunk.TokenCount);
    }
}

/// <summary>
/// A document version restored from an export archive: its record, and its chunks either with vectors of the
/// collection's model (committed as they are: inline in <see cref="Chunks"/>, or staged before in <see cref="Parts"/>
/// parts by <c>ImportPartAsync</c> under <see cref="Version"/>) or, made by another model, as a chunk list
/// (<see cref="DocumentChunk"/>[] as JSON) uploaded under <see cref="ChunksUpload"/> to be embedded again in the
/// background. The original file, when the archive has it, is uploaded first under <see cref="OriginalUpload"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.DocumentImport")]
public sealed record class DocumentImport(
    string Version,
    string Title,
    string ContentType,
    IReadOnlyDictionary<string, MetadataValue>? Metadata,
    string? Text,
    string ContentHash,
    int ChunkCount,
    int? PageCount,
    long SourceBytes,
    string EmbeddingModel,
    IndexedChunk[]? Chunks = null,
    int Parts = 0,
    string? ChunksUpload = null,
    long ChunksBytes = 0,
    string? OriginalUpload = null,
    long OriginalBytes = 0,
    int[]? OcrPages = null);

/// <summary>
/// The original file of a document's served version: the version, its content type and size in bytes, and whether the
/// file was kept (<c>Ingestion:KeepSources</c>; documents ingested before originals were kept have none).
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.DocumentOriginal")]
public sealed record class DocumentOriginal(string Version, string ContentType, long Length, bool Kept);

/// <summary>
/// A page of a document's chunks (GET /v1/collections/{c}/documents/{id}/chunks): <see cref="Total"/> chunks in all,
/// these from <see cref="Offset"/>; <see cref="NextOffset"/> asks for the next page (null on the last one).
/// </summary>
public sealed record class DocumentChunkPage(string Collection, string DocumentId, int Total, int Offset, IReadOnlyList<DocumentChunk> Chunks)
{
    public int? NextOffset => Offset + Chunks.Count < Total && Chunks.Count > 0 ? Offset + Chunks.Count : null;
}
