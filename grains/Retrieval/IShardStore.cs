namespace OrleansRag.Retrieval;

/// <summary>
/// One document's entry in a shard: its summary, metadata and chunks with vectors. A large document's chunks
/// live in <see cref="PartCount"/> parts of version <see cref="Version"/> (stored beside the entry, which then
/// holds no chunks itself); a document that is not (yet) searchable has no chunks and no parts. <see cref="EmbeddingModel"/>
/// names the model of its vectors (null in entries written before entries recorded it).
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.Retrieval.ShardEntry")]
public sealed record class ShardEntry(
    DocumentSummary Summary,
    IndexedChunk[] Chunks,
    IReadOnlyDictionary<string, MetadataValue>? Metadata = null,
    string? Version = null,
    int PartCount = 0,
    string? EmbeddingModel = null);

/// <summary>
/// Durable home of a retrieval shard's content, one entry per document, so that writing a document costs
/// storage in proportion to that document and a shard that activates anywhere restores its whole index.
/// Large documents are written as staged parts first and switched in by one atomic <see cref="CommitAsync"/>,
/// so a reader (or a shard restoring after a crash) sees the previous version or the new one, never a mix.
/// </summary>
public interface IShardStore
{
    /// <summary>Every entry of a shard with its chunks (parts assembled), in no particular order.</summary>
    IAsyncEnumerable<ShardEntry> LoadAsync(string shardKey, CancellationToken cancellationToken = default);

    /// <summary>Stores one part of a document version that is not committed yet (it expires unless committed).</summary>
    Task SavePartAsync(string shardKey, string documentId, string version, int part, IndexedChunk[] chunks, CancellationToken cancellationToken = default);

    /// <summary>The chunks of a staged or committed version, parts in order.</summary>
    Task<IndexedChunk[]> LoadPartsAsync(string shardKey, string documentId, string version, int partCount, CancellationToken cancellationToken = default);

    /// <summary>
    /// Atomically makes <paramref name="entry"/> the document's entry (its parts, if any, kept for good) and drops
    /// the parts of <paramref name="previousVersion"/> when it differs.
    /// </summary>
    Task CommitAsync(string shardKey, ShardEntry entry, string? previousVersion, CancellationToken cancellationToken = default);

    /// <summary>Drops the staged parts of a version that will not be committed.</summary>
    Task DiscardPartsAsync(string shardKey, string documentId, string version, CancellationToken cancellationToken = default);

    /// <summary>Removes a document's entry and the parts of <paramref name="version"/>.</summary>
    Task RemoveAsync(string shardKey, string documentId, string? version, CancellationToken cancellationToken = default);
}
