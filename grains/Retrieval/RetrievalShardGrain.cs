using Microsoft.Extensions.Logging;

namespace OrleansRag.Retrieval;

/// <summary>
/// One slice of a collection's index, held in memory. The documents' own grains are the durable source of
/// their chunks and vectors; on activation (first use, or after its silo died) the shard rebuilds its index
/// from the documents the collection registry places in it, so no ingest ever rewrites a whole shard.
/// </summary>
public sealed partial class RetrievalShardGrain(ILogger<RetrievalShardGrain> logger) : Grain, IRetrievalShardGrain
{
    private VectorIndex? _index;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (collectionKey, shardText) = GrainKeys.SplitLast(this.GetPrimaryKeyString());
        var shard = int.Parse(shardText, System.Globalization.CultureInfo.InvariantCulture);
        var documentIds = await GrainFactory.GetGrain<ICollectionGrain>(collectionKey).GetShardDocumentsAsync(shard);
        if (documentIds.Length == 0)
        {
            return;
        }

        var restored = 0;
        foreach (var batch in documentIds.Chunk(64))
        {
            var chunkSets = await Task.WhenAll(batch.Select(id =>
                GrainFactory.GetGrain<IDocumentGrain>(GrainKeys.Document(collectionKey, id)).GetChunksAsync()));
            for (var i = 0; i < batch.Length; i++)
            {
                if (chunkSets[i].Length > 0)
                {
                    IndexFor(chunkSets[i][0].Vector.Length).Upsert(batch[i], chunkSets[i]);
                    restored += chunkSets[i].Length;
                }
            }
        }

        LogRestored(this.GetPrimaryKeyString(), documentIds.Length, restored);
    }

    public Task UpsertDocumentAsync(string documentId, IndexedChunk[] chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (chunks.Length == 0)
        {
            _index?.Remove(documentId);
        }
        else
        {
            IndexFor(chunks[0].Vector.Length).Upsert(documentId, chunks);
        }

        return Task.CompletedTask;
    }

    public Task RemoveDocumentAsync(string documentId)
    {
        _index?.Remove(documentId);
        return Task.CompletedTask;
    }

    public Task<SearchHit[]> SearchAsync(float[] query, int topK)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Task.FromResult(_index is null ? [] : _index.Search(query, topK));
    }

    public Task<int> CountAsync() => Task.FromResult(_index?.Count ?? 0);

    private VectorIndex IndexFor(int dimensions)
    {
        _index ??= new VectorIndex(dimensions);
        if (_index.Dimensions != dimensions)
        {
            throw new InvalidOperationException(
                $"This collection's vectors have {_index.Dimensions} dimensions but a document brought {dimensions}; the embedding model changed. Re-ingest into a new collection.");
        }

        return _index;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {Shard} restored {Documents} documents ({Chunks} chunks)")]
    private partial void LogRestored(string shard, int documents, int chunks);
}
