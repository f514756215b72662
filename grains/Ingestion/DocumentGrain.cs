using Orleans.Runtime;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansRag.Embedding;
using OrleansRag.Retrieval;

using OrleansRag.Monitoring;

namespace OrleansRag.Ingestion;

/// <summary>
/// Owns one document: parse -> chunk -> embed -> persist -> index in its shard -> register in the collection.
/// Upserts of the same document are serialised by the grain; the same content again is a no-op.
/// </summary>
public sealed partial class DocumentGrain(
    [PersistentState("document", RagConstants.StorageName)] IPersistentState<DocumentState> state,
    EmbeddingService embeddings,
    IOptions<IngestionOptions> options,
    TimeProvider time,
    ILogger<DocumentGrain> logger) : Grain, IDocumentGrain
{
    private readonly IngestionOptions _options = options.Value;

    public Task<IngestResult> UpsertAsync(DocumentInput document) =>
        RagInstruments.TrackAsync("ingest", () => UpsertCoreAsync(document));

    private async Task<IngestResult> UpsertCoreAsync(DocumentInput document)
    {
        RagValidation.ThrowIfInvalid(RagValidation.CheckDocument(document), nameof(document));
        var (collectionKey, documentId) = GrainKeys.SplitLast(this.GetPrimaryKeyString());
        var collection = GrainKeys.CollectionName(collectionKey);
        var bytes = Encoding.UTF8.GetByteCount(document.Text);
        if (bytes > _options.MaxDocumentBytes)
        {
            throw new ArgumentException($"text is {bytes} bytes; the limit is {_options.MaxDocumentBytes}.", nameof(document));
        }

        var contentType = RagValidation.NormalizeContentType(document.ContentType);
        var metadata = document.Metadata is null ? [] : new Dictionary<string, MetadataValue>(document.Metadata, StringComparer.Ordinal);
        var hash = ContentHash(document.Text, document.Title, contentType, metadata);
        var current = state.State;
        if (current.Exists && current.ContentHash == hash)
        {
            return new IngestResult(collection, documentId, IngestStatus.Unchanged, current.ChunkCount, hash);
        }

        var parsed = DocumentParser.Parse(document.Text, contentType);
        if (string.IsNullOrWhiteSpace(parsed.Text))
        {
            throw new ArgumentException("text has no readable content after parsing.", nameof(document));
        }

        var title = !string.IsNullOrWhiteSpace(document.Title) ? document.Title.Trim() : parsed.SuggestedTitle ?? documentId;
        var info = await GrainFactory.GetGrain<ICollectionGrain>(collectionKey).EnsureCreatedAsync();
        var chunks = await ChunkAndEmbedAsync(documentId, title, parsed.Text,
            info.ChunkTokens ?? _options.ChunkTokens, info.ChunkOverlapTokens ?? _options.ChunkOverlapTokens);

        var shard = ShardRouter.ShardFor(documentId, info.ShardCount);
        var now = time.GetUtcNow();
        var status = current.Exists ? IngestStatus.Updated : IngestStatus.Created;
        var next = new DocumentState
        {
            Exists = true,
            Title = title,
            ContentType = contentType,
            Metadata = metadata,
            Text = document.Text,
            ContentHash = hash,
            ChunkCount = chunks.Length,
            Shard = shard,
            CreatedAt = current.Exists ? current.CreatedAt : now,
            UpdatedAt = now,
        };

        // Chunks first (durable in the shard's store and searchable), then the document record, then the
        // collection's version (so an answer cached under the new version has seen the new chunks). Every
        // step is idempotent: if one fails, the caller gets the error and retrying the same upsert repairs it.
        if (current.Exists && current.Shard != shard)
        {
            await ShardGrain(collectionKey, current.Shard).RemoveDocumentAsync(documentId);
        }

        await ShardGrain(collectionKey, shard).UpsertDocumentAsync(Summary(documentId, next), chunks, metadata);
        state.State = next;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State = current; // not durable: the next upsert must not see "unchanged"
            throw;
        }

        await GrainFactory.GetGrain<ICollectionGrain>(collectionKey).ContentChangedAsync(status == IngestStatus.Created ? 1 : 0);
        LogIngested(collectionKey, documentId, status, chunks.Length);
        return new IngestResult(collection, documentId, status, chunks.Length, hash);
    }

    public Task<DocumentInfo?> GetAsync()
    {
        var s = state.State;
        if (!s.Exists)
        {
            return Task.FromResult<DocumentInfo?>(null);
        }

        var (collectionKey, documentId) = GrainKeys.SplitLast(this.GetPrimaryKeyString());
        return Task.FromResult<DocumentInfo?>(new DocumentInfo(
            GrainKeys.CollectionName(collectionKey), documentId, s.Title, s.ContentType, s.Metadata, s.Text,
            s.ChunkCount, s.ContentHash, s.CreatedAt, s.UpdatedAt));
    }

    public async Task<bool> DeleteAsync()
    {
        if (!state.State.Exists)
        {
            return false;
        }

        var (collectionKey, documentId) = GrainKeys.SplitLast(this.GetPrimaryKeyString());
        await ShardGrain(collectionKey, state.State.Shard).RemoveDocumentAsync(documentId);
        var previous = state.State;
        try
        {
            await state.ClearStateAsync();
        }
        catch
        {
            state.State = previous;
            throw;
        }

        state.State = new DocumentState();
        await GrainFactory.GetGrain<ICollectionGrain>(collectionKey).ContentChangedAsync(-1);
        LogDeleted(collectionKey, documentId);
        return true;
    }

    public Task<IndexedChunk[]> GetChunksAsync()
    {
        if (!state.State.Exists)
        {
            return Task.FromResult<IndexedChunk[]>([]);
        }

        var (collectionKey, documentId) = GrainKeys.SplitLast(this.GetPrimaryKeyString());
        return ShardGrain(collectionKey, state.State.Shard).GetDocumentChunksAsync(documentId);
    }

    private async Task<IndexedChunk[]> ChunkAndEmbedAsync(string documentId, string title, string text, int chunkTokens, int overlapTokens)
    {
        var model = await embeddings.GetModelAsync();
        var tokenizer = model.Tokenizer;

        // Each chunk is embedded as "title + ' ' + chunk" (as MTEB embeds title + text), so the title's word
        // pieces count against the model's limit. chunkTokens 0 keeps the document whole: one chunk, which
        // the embedder truncates at the model's limit (MTEB's way) while BM25 still sees all of it.
        IReadOnlyList<TextChunk> pieces;
        if (chunkTokens == 0)
        {
            pieces = [new TextChunk(0, text, tokenizer.CountTokens(text))];
        }
        else
        {
            var titleTokens = Math.Min(tokenizer.CountTokens(title), model.MaxTokens / 4);
            var budget = Math.Max(32, Math.Min(chunkTokens, model.MaxTokens - 2 - titleTokens - 1));
            pieces = new TextChunker(tokenizer).Chunk(text, budget, overlapTokens);
        }

        var inputs = pieces.Select(piece => $"{title} {piece.Text}").ToArray();
        var batch = await GrainFactory.GetGrain<IEmbeddingGrain>(0).EmbedAsync(inputs, EmbeddingKind.Document);
        return [.. pieces.Select((piece, i) => new IndexedChunk($"{documentId}#{piece.Index}", documentId, piece.Index, title, piece.Text, batch.Vectors[i]))];
    }

    private static DocumentSummary Summary(string documentId, DocumentState s) =>
        new(documentId, s.Title, s.ContentType, s.ChunkCount, s.ContentHash, s.UpdatedAt);

    private IRetrievalShardGrain ShardGrain(string collectionKey, int shard) =>
        GrainFactory.GetGrain<IRetrievalShardGrain>(GrainKeys.Shard(collectionKey, shard));

    private static string ContentHash(string text, string? title, string contentType, Dictionary<string, MetadataValue> metadata)
    {
        var canonical = new StringBuilder()
            .Append(contentType).Append('\0').Append(title ?? "").Append('\0').Append(text).Append('\0');
        foreach (var (key, value) in metadata.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            canonical.Append(key).Append('=').Append(value.Canonical()).Append('\0');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())))[..32];
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Document {Collection}/{DocumentId} {Status}: {Chunks} chunks")]
    private partial void LogIngested(string collection, string documentId, IngestStatus status, int chunks);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Document {Collection}/{DocumentId} deleted")]
    private partial void LogDeleted(string collection, string documentId);
}
