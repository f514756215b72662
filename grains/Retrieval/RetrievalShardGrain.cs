using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace OrleansRag.Retrieval;

/// <summary>
/// One slice of a collection's index. Its content is kept in an <see cref="IShardStore"/> one document at a
/// time and mirrored in memory as a contiguous vector index; on activation (first use, idle deactivation, or
/// after its silo died) the shard restores the whole index from the store. Shards stay active once loaded
/// (they are the in-memory index; reloading is the expensive part), so reads keep working while storage is away.
/// </summary>
[CollectionAgeLimit(AlwaysActive = true)]
public sealed partial class RetrievalShardGrain(IShardStore store, ILogger<RetrievalShardGrain> logger) : Grain, IRetrievalShardGrain
{
    private readonly Dictionary<string, DocumentSummary> _documents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyDictionary<string, MetadataValue>> _metadata = new(StringComparer.Ordinal);
    private readonly Bm25Index _lexical = new();
    private VectorIndex? _index;

    private string ShardKey => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        await foreach (var entry in store.LoadAsync(ShardKey, cancellationToken))
        {
            Apply(entry);
        }

        if (_documents.Count > 0)
        {
            LogRestored(ShardKey, _documents.Count, _index?.Count ?? 0, watch.Elapsed.TotalMilliseconds);
        }
    }

    public async Task UpsertDocumentAsync(DocumentSummary summary, IndexedChunk[] chunks, IReadOnlyDictionary<string, MetadataValue>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(chunks);
        var entry = new ShardEntry(summary, chunks, metadata);
        await store.SaveAsync(ShardKey, entry); // durable before it is searchable or acknowledged
        Apply(entry);
    }

    public async Task RemoveDocumentAsync(string documentId)
    {
        await store.RemoveAsync(ShardKey, documentId);
        _index?.Remove(documentId);
        _lexical.Remove(documentId);
        _documents.Remove(documentId);
        _metadata.Remove(documentId);
    }

    public Task<SearchHit[]> SearchAsync(ShardQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var activity = RagTelemetry.ActivitySource.StartActivity("retrieve");
        activity?.SetTag("orleansrag.shard", ShardKey);
        activity?.SetTag("orleansrag.search.mode", query.Mode.ToString());
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
        return Task.FromResult(hits);
    }

    public Task<Bm25Stats> GetBm25StatsAsync(string[] distinctTerms) => Task.FromResult(_lexical.Stats(distinctTerms));

    public Task<DocumentSummary[]> ListDocumentsAsync() => Task.FromResult(_documents.Values.ToArray());

    public Task<IndexedChunk[]> GetDocumentChunksAsync(string documentId) =>
        Task.FromResult(_index?.GetDocumentChunks(documentId) ?? []);

    public Task<int> CountAsync() => Task.FromResult(_index?.Count ?? 0);

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
                decided[documentId] = pass = filter.Matches(_metadata.GetValueOrDefault(documentId));
            }

            return pass;
        };
    }

    private void Apply(ShardEntry entry)
    {
        var documentId = entry.Summary.Id;
        _documents[documentId] = entry.Summary;
        if (entry.Metadata is { Count: > 0 } metadata)
        {
            _metadata[documentId] = metadata;
        }
        else
        {
            _metadata.Remove(documentId);
        }

        _lexical.Upsert(documentId, entry.Chunks);
        if (entry.Chunks.Length == 0)
        {
            _index?.Remove(documentId);
            return;
        }

        var dimensions = entry.Chunks[0].Vector.Length;
        _index ??= new VectorIndex(dimensions);
        if (_index.Dimensions != dimensions)
        {
            throw new InvalidOperationException(
                $"This collection's vectors have {_index.Dimensions} dimensions but document '{documentId}' brought {dimensions}; the embedding model changed. Re-ingest into a new collection.");
        }

        _index.Upsert(documentId, entry.Chunks);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {Shard} restored {Documents} documents ({Chunks} chunks) in {ElapsedMs:F0} ms")]
    private partial void LogRestored(string shard, int documents, int chunks, double elapsedMs);
}
