namespace OrleansRag.Ingestion;

/// <summary>
/// Persisted state of a document grain: the document as ingested. Its chunks and vectors are persisted by its
/// shard (<see cref="Retrieval.IShardStore"/>); both writes are proportional to the document alone.
/// </summary>
[GenerateSerializer]
public sealed class DocumentState
{
    [Id(0)] public bool Exists { get; set; }

    [Id(1)] public string Title { get; set; } = "";

    [Id(2)] public string ContentType { get; set; } = RagConstants.PlainText;

    [Id(3)] public Dictionary<string, MetadataValue> Metadata { get; set; } = [];

    [Id(4)] public string Text { get; set; } = "";

    [Id(5)] public string ContentHash { get; set; } = "";

    [Id(6)] public int ChunkCount { get; set; }

    [Id(7)] public int Shard { get; set; }

    [Id(8)] public DateTimeOffset CreatedAt { get; set; }

    [Id(9)] public DateTimeOffset UpdatedAt { get; set; }
}
