namespace OrleansRag.Ingestion;

/// <summary>
/// Persisted state of a document grain: the version that is served (as ingested) and the latest submission
/// that is not ready yet. Chunks and vectors are persisted by the document's shard (<see cref="Retrieval.IShardStore"/>),
/// an uploaded file by the <see cref="IDocumentSourceStore"/> until it is ingested; every write is
/// proportional to the document alone.
/// </summary>
[GenerateSerializer, Alias("OrleansRag.Ingestion.DocumentState")]
public sealed class DocumentState
{
    [Id(0)] public bool Exists { get; set; }

    [Id(1)] public string Title { get; set; } = "";

    [Id(2)] public string ContentType { get; set; } = ContentTypes.PlainText;

    [Id(3)] public Dictionary<string, MetadataValue> Metadata { get; set; } = [];

    /// <summary>The text as sent, for small JSON text ingests; null for files and large texts.</summary>
    [Id(4)] public string? Text { get; set; }

    [Id(5)] public string ContentHash { get; set; } = "";

    [Id(6)] public int ChunkCount { get; set; }

    [Id(7)] public int Shard { get; set; }

    [Id(8)] public DateTimeOffset CreatedAt { get; set; }

    [Id(9)] public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The served version's id (its chunk parts in the shard are stored under it).</summary>
    [Id(10)] public string? Version { get; set; }

    [Id(11)] public int? PageCount { get; set; }

    [Id(12)] public long? SourceBytes { get; set; }

    /// <summary>The latest submission while it is queued, processing or failed; null once it is served.</summary>
    [Id(13)] public IngestJob? Job { get; set; }

    /// <summary>Attempts the served version took (1 unless transient failures were retried).</summary>
    [Id(14)] public int Attempts { get; set; }

    /// <summary>The blob key of the served version's original file (<see cref="DocumentOriginals"/>); null when it was not kept.</summary>
    [Id(15)] public string? Original { get; set; }

    /// <summary>The pages of the served version whose text OCR read (scanned PDF pages, image pages); null when none.</summary>
    [Id(16)] public int[]? OcrPages { get; set; }
}

/// <summary>A submitted version on its way through the pipeline in the background.</summary>
[GenerateSerializer, Alias("OrleansRag.Ingestion.IngestJob")]
public sealed class IngestJob
{
    /// <summary>The version id this submission will be served under.</summary>
    [Id(0)] public string Id { get; set; } = "";

    [Id(1)] public string SourceKey { get; set; } = "";

    [Id(2)] public string ContentType { get; set; } = ContentTypes.PlainText;

    [Id(3)] public string? Title { get; set; }

    [Id(4)] public Dictionary<string, MetadataValue> Metadata { get; set; } = [];

    [Id(5)] public string ContentHash { get; set; } = "";

    [Id(6)] public long SourceBytes { get; set; }

    [Id(7)] public DocumentStatus Status { get; set; } = DocumentStatus.Queued;

    [Id(8)] public string? Error { get; set; }

    [Id(9)] public int Attempts { get; set; }

    [Id(10)] public DateTimeOffset NextAttemptAt { get; set; }

    [Id(11)] public DateTimeOffset SubmittedAt { get; set; }

    /// <summary>Where the job goes, resolved once when it is queued; null for jobs queued before it was kept (resolved then).</summary>
    [Id(12)] public DocumentPlacement? Placement { get; set; }

    /// <summary>The source is a chunk list (JSON <see cref="DocumentChunk"/>[]) to embed as it is: an import made by another model.</summary>
    [Id(13)] public bool Precut { get; set; }

    /// <summary>The blob key of the original, when it was kept before the job ran (an import); else the source is kept as the original.</summary>
    [Id(14)] public string? Original { get; set; }

    /// <summary>For a re-embedding job: the pages the archived version had read by OCR (its chunks are taken as they are).</summary>
    [Id(15)] public int[]? OcrPages { get; set; }
}

/// <summary>
/// Where a document's chunks go: its shard (a stable hash of its id over the collection's shard count, which never
/// changes), the collection's chunking and its embedding model, resolved once per submission. A job queued before
/// placements named the model has none: its collection predates recorded models (<see cref="Embedding.EmbeddingModels.LegacyModel"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.Ingestion.DocumentPlacement")]
public sealed record class DocumentPlacement(int Shard, int ChunkTokens, int ChunkOverlapTokens, string? EmbeddingModel = null)
{
    /// <summary>The placement of <paramref name="documentId"/> in the collection <paramref name="info"/> describes.</summary>
    public static DocumentPlacement Of(string documentId, CollectionInfo info, IngestionOptions options)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(options);
        return new(Retrieval.ShardRouter.ShardFor(documentId, info.ShardCount), info.ChunkTokens ?? options.ChunkTokens, info.ChunkOverlapTokens ?? options.ChunkOverlapTokens, info.EmbeddingModel?.Name);
    }
}
