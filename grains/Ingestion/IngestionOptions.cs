using System.ComponentModel.DataAnnotations;

namespace OrleansRag.Ingestion;

/// <summary>Configuration section "Ingestion".</summary>
public sealed class IngestionOptions
{
    public const string SectionName = "Ingestion";

    /// <summary>Retrieval shards per new collection (fixed for the collection's life).</summary>
    [Range(1, 1024)]
    public int ShardCount { get; set; } = 8;

    /// <summary>Largest document text accepted, in UTF-8 bytes; larger ones get HTTP 413.</summary>
    [Range(1, 512 * 1024 * 1024)]
    public int MaxDocumentBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>Word pieces per chunk (the title, when embedded with the chunk, counts against the model limit).</summary>
    [Range(16, 8192)]
    public int ChunkTokens { get; set; } = 200;

    /// <summary>Word pieces of trailing context repeated at the start of the next chunk (whole sentences).</summary>
    [Range(0, 4096)]
    public int ChunkOverlapTokens { get; set; } = 32;
}
