using OrleansRag.Ingestion.Pipeline;

namespace OrleansRag.Ingestion;

/// <summary>
/// What a version commits besides its chunks: its identity, content, how many attempts it took and its kept original
/// (blob key). <see cref="RetainOriginal"/>: the original outlives a failed commit (a job keeps it for its next attempt
/// and cannot make it again).
/// </summary>
public sealed record DocumentVersion(string Id, string ContentType, Dictionary<string, MetadataValue> Metadata, string Hash, string? Text, long SourceBytes, int Attempts,
    string? Original = null, bool RetainOriginal = false);

/// <summary>
/// The commit protocol of a document version, in an order a retry can always complete: the shard switches the version in
/// (durable and searchable at once), the collection's version is bumped (answer caches see the change), then the
/// document record is written. A failure after the shard switched leaves the record as it was with its content hash
/// cleared, so "unchanged" is never answered for content the record does not hold; the retry completes the commit.
/// The version's original (kept before the commit) becomes the record's; the one it replaces is removed after the
/// record is written. A commit that fails before the record is written removes the new one (unless it is retained); one
/// whose record write failed keeps it, since a write that reports a failure may still have been stored, and a record
/// must never name a removed original (an orphaned file is the lesser harm).
/// A committed version is announced to the ingestion webhooks (<see cref="IngestionEvents"/>).
/// </summary>
public sealed class DocumentCommit(IGrainFactory grains, TimeProvider time, DocumentOriginals originals, IngestionEvents events)
{
    /// <summary>Commits <paramref name="result"/> as <paramref name="version"/>; runs under the grain's write lock.</summary>
    public async Task<IngestStatus> CommitAsync(IPersistentState<DocumentState> state, string collectionKey, string documentId,
        DocumentPlacement placement, PipelineResult result, DocumentVersion version)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(placement);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(version);
        var current = state.State;
        var now = time.GetUtcNow();
        var summary = new DocumentSummary(documentId, result.Title, version.ContentType, result.ChunkCount, version.Hash, now, DocumentStatus.Ready, null, result.PageCount, result.OcrPages);

        // Once the shard has switched, the commit runs to its end: a caller that gives up must not leave record and shard apart.
        try
        {
            await Shard(collectionKey, placement).CommitDocumentAsync(new ShardCommit(summary, version.Metadata, version.Id, result.Parts, result.Chunks, result.EmbeddingModel), CancellationToken.None);
        }
        catch
        {
            current.ContentHash = ""; // the shard may hold the new version: never "unchanged" until a retry completes
            await ForgetUnlessRetainedAsync(version);
            throw;
        }

        try
        {
            await grains.GetGrain<ICollectionGrain>(collectionKey).ContentChangedAsync();
        }
        catch
        {
            current.ContentHash = ""; // the shard serves the new version: never "unchanged" until a retry completes
            await ForgetUnlessRetainedAsync(version);
            throw;
        }

        state.State = new DocumentState
        {
            Exists = true,
            Title = result.Title,
            ContentType = version.ContentType,
            Metadata = version.Metadata,
            Text = version.Text,
            ContentHash = version.Hash,
            ChunkCount = result.ChunkCount,
            Shard = placement.Shard,
            CreatedAt = current.Exists ? current.CreatedAt : now,
            UpdatedAt = now,
            Version = version.Id,
            PageCount = result.PageCount,
            OcrPages = result.OcrPages,
            SourceBytes = version.SourceBytes,
            Attempts = version.Attempts,
            Original = version.Original,
        };
        try
        {
            await state.WriteStateAsync(CancellationToken.None);
        }
        catch
        {
            current.ContentHash = ""; // not durable, and the shard serves the new version: a retry must not see "unchanged"
            state.State = current;
            throw; // the original stays: the write may have been stored all the same
        }

        if (current.Original != version.Original)
        {
            await originals.ForgetAsync(current.Original);
        }

        events.Ready(GrainKeys.Document(collectionKey, documentId), state.State);

        return current.Exists ? IngestStatus.Updated : IngestStatus.Created;
    }

    private Task ForgetUnlessRetainedAsync(DocumentVersion version) => version.RetainOriginal ? Task.CompletedTask : originals.ForgetAsync(version.Original);

    /// <summary>The shard a placement names.</summary>
    public IRetrievalShardGrain Shard(string collectionKey, DocumentPlacement placement)
    {
        ArgumentNullException.ThrowIfNull(placement);
        return Shard(collectionKey, placement.Shard);
    }

    /// <summary>Shard number <paramref name="shard"/> of the collection.</summary>
    public IRetrievalShardGrain Shard(string collectionKey, int shard) => grains.GetGrain<IRetrievalShardGrain>(GrainKeys.Shard(collectionKey, shard));
}

/// <summary>The index stage's sink: staged parts of one version in the document's shard.</summary>
public sealed class ShardSink(IRetrievalShardGrain shard, string documentId, string version) : IChunkSink
{
    public Task StagePartAsync(int part, IndexedChunk[] chunks, CancellationToken cancellationToken) =>
        shard.StagePartAsync(documentId, version, part, chunks, cancellationToken);
}
