namespace OrleansRag;

/// <summary>A document to ingest: text or Markdown with a title and metadata (for filters).</summary>
[GenerateSerializer, Immutable]
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
}

[GenerateSerializer, Immutable]
public sealed record class IngestResult(
    string Collection,
    string DocumentId,
    IngestStatus Status,
    int ChunkCount,
    string ContentHash);

/// <summary>One line of a collection listing.</summary>
[GenerateSerializer, Immutable]
public sealed record class DocumentSummary(
    string Id,
    string Title,
    string ContentType,
    int ChunkCount,
    string ContentHash,
    DateTimeOffset UpdatedAt);

/// <summary>A stored document as returned by GET.</summary>
[GenerateSerializer, Immutable]
public sealed record class DocumentInfo(
    string Collection,
    string Id,
    string Title,
    string ContentType,
    IReadOnlyDictionary<string, MetadataValue> Metadata,
    string Text,
    int ChunkCount,
    string ContentHash,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A collection's identity, settings and size as the collection grain knows it.</summary>
[GenerateSerializer, Immutable]
public sealed record class CollectionInfo(
    string Name,
    bool Exists,
    int ShardCount,
    long Version,
    int DocumentCount,
    int? ChunkTokens = null,
    int? ChunkOverlapTokens = null);

/// <summary>
/// Settings fixed when a collection is created (null = the silo's configured default). ChunkTokens 0 keeps
/// each document whole as one chunk (the embedder truncates it at the model's limit, as MTEB does).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record class CollectionSettings(int? ShardCount = null, int? ChunkTokens = null, int? ChunkOverlapTokens = null);
