namespace OrleansRag.Retrieval;

/// <summary>One document's entry in a shard: its summary and its chunks with vectors.</summary>
[GenerateSerializer, Immutable]
public sealed record class ShardEntry(DocumentSummary Summary, IndexedChunk[] Chunks, IReadOnlyDictionary<string, MetadataValue>? Metadata = null);

/// <summary>
/// Durable home of a retrieval shard's content, one entry per document, so that writing a document costs
/// storage in proportion to that document and a shard that activates anywhere restores its whole index.
/// </summary>
public interface IShardStore
{
    /// <summary>Every entry of a shard, in no particular order.</summary>
    IAsyncEnumerable<ShardEntry> LoadAsync(string shardKey, CancellationToken cancellationToken = default);

    /// <summary>Adds or replaces one document's entry; returns once it is durable.</summary>
    Task SaveAsync(string shardKey, ShardEntry entry);

    Task RemoveAsync(string shardKey, string documentId);
}
