using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansRag.Monitoring;

namespace OrleansRag.Retrieval;

/// <summary>
/// One slice of a collection's index. Its content is kept in an <see cref="IShardStore"/> one document at a
/// time and mirrored in memory as a contiguous vector index; on activation (first use, idle deactivation, or
/// after its silo died) the shard restores the whole index from the store. Shards stay active once loaded
/// (they are the in-memory index; reloading is the expensive part), so reads keep working while storage is away.
/// The dense index is the kind <see cref="RetrievalOptions"/> names (int8 scan by default, an HNSW graph from
/// <see cref="RetrievalOptions.HnswThreshold"/> chunks). Every change reports the shard's memory to the silo's
/// <see cref="ShardMemoryLedger"/>, and new chunks are refused when they would not fit its budget.
/// </summary>
[CollectionAgeLimit(AlwaysActive = true)]
[GrainType("retrievalshard")] // the name the convention gave it: stored state and reminders are keyed by it, so a rename of the class must not change it
public sealed partial class RetrievalShardGrain(
    IShardStore store,
    IOptions<RetrievalOptions> options,
    ShardMemoryLedger ledger,
    ILogger<RetrievalShardGrain> logger) : Grain, IRetrievalShardGrain
{
    /// <summary>Every document's entry as stored, without its chunks (those are in the indexes).</summary>
    private readonly Dictionary<string, ShardEntry> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _searchable = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Document, string Version), SortedDictionary<int, IndexedChunk[]>> _staged = [];
    private readonly Dictionary<string, long> _textBytes = new(StringComparer.Ordinal);
    private readonly Bm25Index _lexical = new();
    private IVectorIndex? _index;

    /// <summary>The embedding model of the vectors this shard holds (the first entry that names one).</summary>
    private string? _model;

    private string ShardKey => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        await foreach (var entry in store.LoadAsync(ShardKey, cancellationToken))
        {
            Apply(entry);
        }

        if (_entries.Count > 0)
        {
            LogRestored(ShardKey, _entries.Count, _index?.Count ?? 0, watch.Elapsed.TotalMilliseconds);
        }

        _index?.Prepare(); // a large shard's graph is built in the background; the exact scan answers meanwhile
        ReportFootprint();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        ledger.Forget(ShardKey);
        _index?.Persist();
        _index?.Dispose();
        return Task.CompletedTask;
    }

    public async Task StagePartAsync(string documentId, string version, int part, IndexedChunk[] chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        ledger.EnsureRoom(ShardKey, EstimateBytes(chunks));
        await store.SavePartAsync(ShardKey, documentId, version, part, chunks, cancellationToken);
        if (!_staged.TryGetValue((documentId, version), out var parts))
        {
            _staged[(documentId, version)] = parts = [];
        }

        parts[part] = chunks;
    }

    public async Task<bool> CommitDocumentAsync(ShardCommit commit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commit);
        var documentId = commit.Summary.Id;
        EnsureSameModel(commit.EmbeddingModel, $"document '{documentId}'");
        var wasSearchable = _searchable.Contains(documentId);
        var previous = _entries.GetValueOrDefault(documentId);

        // A retried commit of the version that is served already is written again (its parts made permanent
        // again, its status ready again): re-staging may have touched them.
        IndexedChunk[] chunks;
        if (commit.PartCount == 0)
        {
            chunks = commit.Chunks ?? [];
            ledger.EnsureRoom(ShardKey, EstimateBytes(chunks) - (_index?.ContainsDocument(documentId) == true ? _textBytes.GetValueOrDefault(documentId) : 0));
        }
        else if (_staged.TryGetValue((documentId, commit.Version), out var parts) && parts.Count == commit.PartCount && parts.Keys.Last() == commit.PartCount - 1)
        {
            chunks = [.. parts.Values.SelectMany(p => p)];
        }
        else
        {
            // Staged on an earlier activation (this shard moved or restarted mid-ingest): read them back.
            chunks = await store.LoadPartsAsync(ShardKey, documentId, commit.Version, commit.PartCount, cancellationToken);
        }

        CheckVectors(documentId, chunks);
        var entry = new ShardEntry(commit.Summary, commit.PartCount == 0 ? chunks : [], commit.Metadata, commit.Version, commit.PartCount, commit.EmbeddingModel);
        await store.CommitAsync(ShardKey, entry, previous?.Version, cancellationToken); // durable before searchable or acknowledged
        Apply(entry with { Chunks = chunks });
        _staged.Remove((documentId, commit.Version));
        _index?.Prepare();
        ReportFootprint();
        return !wasSearchable;
    }

    /// <summary>
    /// Refuses, before anything is stored, vectors that the index could not take (of another length than the ones it
    /// holds, or than each other) or sentence vectors that do not fit their chunk: once stored, they would fail every
    /// activation of this shard.
    /// </summary>
    private void CheckVectors(string documentId, IndexedChunk[] chunks)
    {
        var dimensions = _index is { Count: > 0 } index ? index.Dimensions : chunks.FirstOrDefault()?.Vector.Length ?? 0;
        foreach (var chunk in chunks)
        {
            if (chunk.Vector.Length != dimensions || dimensions == 0
                || chunk.Sentences is { } s && (s.Spans.Length != 2 * s.Count || s.Values.Length != s.Count * dimensions))
            {
                throw new RagValidationException(
                    $"Chunk {chunk.ChunkIndex} of document '{documentId}' has a vector of {chunk.Vector.Length} dimensions (or sentence vectors that do not fit); this shard's vectors have {dimensions}.",
                    "chunks");
            }
        }
    }

    public async Task DiscardStagedAsync(string documentId, string version, CancellationToken cancellationToken = default)
    {
        _staged.Remove((documentId, version));
        if (_entries.GetValueOrDefault(documentId)?.Version != version)
        {
            await store.DiscardPartsAsync(ShardKey, documentId, version, cancellationToken);
        }
    }

    public async Task SetStatusAsync(DocumentSummary summary, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var documentId = summary.Id;
        var previous = _entries.GetValueOrDefault(documentId);
        ShardEntry entry;
        IndexedChunk[] stored = [];
        if (previous is not null && _searchable.Contains(documentId))
        {
            // The served version stays as it is; only the status of the latest one changes.
            entry = previous with { Summary = previous.Summary with { Status = summary.Status, Error = summary.Error } };
            if (previous.PartCount == 0)
            {
                stored = _index?.GetDocumentChunks(documentId) ?? [];
            }
        }
        else
        {
            entry = new ShardEntry(summary, [], null);
        }

        await store.CommitAsync(ShardKey, entry with { Chunks = stored }, previous?.Version, cancellationToken);
        _entries[documentId] = entry with { Chunks = [] };
    }

    public async Task<bool> RemoveDocumentAsync(string documentId, CancellationToken cancellationToken = default)
    {
        var previous = _entries.GetValueOrDefault(documentId);
        await store.RemoveAsync(ShardKey, documentId, previous?.Version, cancellationToken);
        _index?.Remove(documentId);
        _lexical.Remove(documentId);
        _entries.Remove(documentId);
        _textBytes.Remove(documentId);
        foreach (var key in _staged.Keys.Where(k => k.Document == documentId).ToList())
        {
            _staged.Remove(key);
        }

        var removed = _searchable.Remove(documentId);
        ReportFootprint();
        return removed;
    }

    public Task<SearchHit[]> SearchAsync(ShardQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        cancellationToken.ThrowIfCancellationRequested();
        using var activity = RagTelemetry.ActivitySource.StartActivity("retrieve");
        activity?.SetTag("orleansrag.shard", ShardKey);
        activity?.SetTag("orleansrag.search.mode", query.Mode.ToString());
        if (query.Mode == SearchMode.Dense)
        {
            EnsureSameModel(query.EmbeddingModel, "the query");
        }

        var allow = Allow(query.Filter);
        var hits = query.Mode switch
        {
            SearchMode.Dense when query.Vector is null => throw new ArgumentException("A dense shard query needs a vector.", nameof(query)),
            SearchMode.Dense => _index?.Search(query.Vector, query.TopK, query.PerDocument, allow) ?? [],
            SearchMode.Bm25 when query.Terms is null || query.DistinctTerms is null || query.Stats is null =>
                throw new ArgumentException("A BM25 shard query needs terms and collection statistics.", nameof(query)),
            SearchMode.Bm25 => _lexical.Search(query.Terms, query.DistinctTerms, query.Stats, query.TopK, query.PerDocument, allow),
            _ => throw new ArgumentException($"Shards run dense or BM25 queries, not {query.Mode}.", nameof(query)),
        };
        activity?.SetTag("orleansrag.search.hits", hits.Length);
        if (!query.WithSentences)
        {
            for (var i = 0; i < hits.Length; i++)
            {
                if (hits[i].Sentences is not null)
                {
                    hits[i] = hits[i] with { Sentences = null };
                }
            }
        }

        return Task.FromResult(hits);
    }

    public Task<Bm25Stats> GetBm25StatsAsync(string[] distinctTerms, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_lexical.Stats(distinctTerms));
    }

    public Task<DocumentSummary[]> ListDocumentsAsync() => Task.FromResult(_entries.Values.Select(e => e.Summary).ToArray());

    public Task<ChunkPage> GetDocumentChunksAsync(string documentId, int offset, int limit, bool withVectors)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Task.FromResult(_index is { } index && _searchable.Contains(documentId)
            ? new ChunkPage(index.GetDocumentChunks(documentId, offset, limit, withVectors), index.DocumentChunkCount(documentId), _entries.GetValueOrDefault(documentId)?.Version)
            : new ChunkPage([], 0));
    }

    public Task<ShardSize> GetSizeAsync() => Task.FromResult(new ShardSize(_searchable.Count, _index?.Count ?? 0));

    /// <summary>The filter as a per-document predicate, each document's metadata evaluated once per query.</summary>
    private Func<string, bool>? Allow(MetadataFilter? filter)
    {
        if (filter is null)
        {
            return null;
        }

        var decided = new Dictionary<string, bool>(StringComparer.Ordinal);
        return documentId =>
        {
            if (!decided.TryGetValue(documentId, out var pass))
            {
                decided[documentId] = pass = filter.Matches(_entries.GetValueOrDefault(documentId)?.Metadata);
            }

            return pass;
        };
    }

    private void Apply(ShardEntry entry)
    {
        var documentId = entry.Summary.Id;
        _entries[documentId] = entry with { Chunks = [] };
        _lexical.Upsert(documentId, entry.Chunks);
        if (entry.Chunks.Length == 0)
        {
            _index?.Remove(documentId);
            _searchable.Remove(documentId);
            _textBytes.Remove(documentId);
            return;
        }

        _model ??= entry.EmbeddingModel;
        _textBytes[documentId] = entry.Chunks.Sum(ChunkTextBytes);
        var dimensions = entry.Chunks[0].Vector.Length;
        _index ??= options.Value.CreateIndex(dimensions, ShardKey);
        if (_index.Dimensions != dimensions)
        {
            throw new InvalidOperationException(
                $"This collection's vectors have {_index.Dimensions} dimensions but document '{documentId}' brought {dimensions}; the embedding model changed. Re-ingest into a new collection.");
        }

        _index.Upsert(documentId, entry.Chunks);
        _searchable.Add(documentId);
    }

    /// <summary>Refuses vectors of another model than the ones this shard holds: their cosines would mean nothing.</summary>
    private void EnsureSameModel(string? model, string what)
    {
        if (model is not null && _model is not null && !string.Equals(model, _model, StringComparison.OrdinalIgnoreCase))
        {
            throw new EmbeddingModelMismatchException(
                $"The collection's vectors come from embedding model {_model}, but {what} was embedded with {model}; a collection keeps the model it was created with.");
        }
    }

    public Task<ShardFootprint> GetFootprintAsync() => Task.FromResult(Footprint());

    /// <summary>The chunk's text, ids and sentence vectors, with object overheads; its vector is counted by the index.</summary>
    internal static long ChunkTextBytes(IndexedChunk chunk)
    {
        const int ObjectOverhead = 24;
        var strings = chunk.ChunkId.Length + chunk.Title.Length + chunk.Text.Length;
        var sentences = chunk.Sentences is { } s ? s.Values.Length + (s.Scales.Length * sizeof(float)) + (s.Spans.Length * sizeof(int)) + (4 * ObjectOverhead) : 0;
        return (2L * strings) + (3 * ObjectOverhead) + (2 * 96) + sentences; // two chunk records (dense and BM25 index)
    }

    /// <summary>What <paramref name="chunks"/> would add: text, fp32 row and int8 code, and their BM25 postings (about one distinct term per 6 characters).</summary>
    private static long EstimateBytes(IReadOnlyList<IndexedChunk> chunks) =>
        chunks.Sum(chunk => ChunkTextBytes(chunk) + (chunk.Vector.Length * (sizeof(float) + sizeof(sbyte))) + sizeof(float)
            + Bm25Index.BytesPerChunk + (chunk.Text.Length / 6 * (long)Bm25Index.BytesPerTermEntry));

    private ShardFootprint Footprint() => new(
        ShardKey,
        (_index?.Kind ?? options.Value.VectorIndex).ToString(),
        _entries.Count,
        _index?.Count ?? 0,
        _index?.VectorBytes ?? 0,
        _textBytes.Values.Sum(),
        _lexical.EstimatedBytes);

    private void ReportFootprint() => ledger.Report(Footprint());

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {Shard} restored {Documents} documents ({Chunks} chunks) in {ElapsedMs:F0} ms")]
    private partial void LogRestored(string shard, int documents, int chunks, double elapsedMs);
}
