using System.Diagnostics;
using Cloud.Unum.USearch;

namespace OrleansRag.Retrieval;

/// <summary>
/// An HNSW graph (USearch) over the rows of an exact index, used once the shard
/// holds <see cref="Threshold"/> chunks (below it, the exact index answers). A query walks the graph for
/// <see cref="RescoreFactor"/> × k candidates and re-scores them on the fp32 rows, so scores are exact; per document
/// it fetches three times more (and scans when that gives fewer than k documents). A metadata filter makes the query
/// exact: the exact scan with the filter applied to every row (pre-filtering), so a filter never loses a match to
/// the graph's approximation.
/// <para>
/// The graph is built on a thread-pool thread from a copy of the rows (about 2,500 rows/s on one core), never in
/// the owner's turn: until it is ready, the exact scan answers. Changes made meanwhile are applied when the build is
/// taken over (or, when there are many, the graph is built again); after that, every upsert and removal updates the
/// graph directly.
/// </para>
/// </summary>
public sealed class HnswVectorIndex : IVectorIndex
{
    /// <summary>Graph edges per node (USearch's default is 16; 24 reaches recall@10 0.98 at 40 candidates on MiniLM embeddings, bench/README.md).</summary>
    public const int Connectivity = 24;

    /// <summary>Candidates explored while inserting.</summary>
    public const int ExpansionAdd = 128;

    /// <summary>Candidates explored per query (at least the number fetched).</summary>
    public const int ExpansionSearch = 64;

    /// <summary>Changes made during a build that are applied in the owner's turn when it completes; beyond this, the graph is built again.</summary>
    public const int MaxPendingChanges = 2_000;

    private const int AddBatch = 4_096;

    private readonly IExactVectorIndex _exact;
    private readonly List<ulong> _addedDuringBuild = [];
    private readonly List<ulong> _removedDuringBuild = [];
    private USearchIndex? _graph;
    private Task<(USearchIndex Graph, float Scale, TimeSpan Elapsed)>? _building;
    private float _scale;
    private int _rescoreFactor;

    /// <param name="exact">The exact kind below the threshold and for selective filters: <see cref="Fp32VectorIndex"/> or <see cref="Int8VectorIndex"/>.</param>
    /// <param name="threshold">Chunks from which the graph answers.</param>
    /// <param name="rescoreFactor">Graph candidates per result re-scored in fp32.</param>
    public HnswVectorIndex(IVectorIndex exact, int threshold, int rescoreFactor = 4)
    {
        _exact = exact as IExactVectorIndex ?? throw new ArgumentException($"An HNSW graph is built over an exact index, not {exact?.GetType().Name}.", nameof(exact));
        ArgumentOutOfRangeException.ThrowIfNegative(threshold);
        Threshold = threshold;
        RescoreFactor = rescoreFactor;
    }

    public int Threshold { get; }

    /// <summary>Graph candidates per result, re-scored in fp32 (more: higher recall, slower queries).</summary>
    public int RescoreFactor
    {
        get => _rescoreFactor;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _rescoreFactor = value;
        }
    }

    /// <summary><see cref="VectorIndexKind.Hnsw"/> from the threshold on (the exact scan answers while the graph is built), else the exact kind.</summary>
    public VectorIndexKind Kind => Count >= Threshold ? VectorIndexKind.Hnsw : _exact.Kind;

    public int Dimensions => _exact.Dimensions;

    public int Count => _exact.Count;

    public int DocumentCount => _exact.DocumentCount;

    /// <summary>The rows (and codes), plus the graph's estimated size: its int8 codes of each vector and its edges.</summary>
    public long VectorBytes => _exact.VectorBytes + (_graph is null ? 0 : (long)_graph.Size() * (Dimensions + (Connectivity * 3 * sizeof(uint)) + 32));

    /// <summary>How long the last graph build took on its thread (zero until one completed).</summary>
    public TimeSpan LastBuild { get; private set; }

    public bool IsBuilt => _graph is not null;

    public bool IsBuilding => _building is not null;

    /// <summary>
    /// Where this index keeps its graph between activations (<c>{path}.usearch</c> and <c>{path}.keys</c>); null keeps
    /// nothing. A graph found there at activation is reconciled with the rows loaded from the shard store (chunks
    /// gone or changed since are removed, new ones added) instead of being built again.
    /// </summary>
    public string? CachePath { get; init; }

    /// <summary>Whether the graph in use was loaded from <see cref="CachePath"/> rather than built.</summary>
    public bool LoadedFromCache { get; private set; }

    public bool ContainsDocument(string documentId) => _exact.ContainsDocument(documentId);

    public void Upsert(string documentId, IReadOnlyList<IndexedChunk> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        RemoveFromGraph(documentId);
        _exact.Upsert(documentId, chunks);
        var rows = _exact.Rows;
        if (_graph is not null)
        {
            AddToGraph(_graph, _scale, rows.RowsOf(documentId).Select(rows.Key).ToList());
        }
        else if (_building is not null)
        {
            _addedDuringBuild.AddRange(rows.RowsOf(documentId).Select(rows.Key));
        }
    }

    public bool Remove(string documentId)
    {
        RemoveFromGraph(documentId);
        return _exact.Remove(documentId);
    }

    public IndexedChunk[] GetDocumentChunks(string documentId, int offset = 0, int limit = int.MaxValue, bool withVectors = true) =>
        _exact.GetDocumentChunks(documentId, offset, limit, withVectors);

    public int DocumentChunkCount(string documentId) => _exact.DocumentChunkCount(documentId);

    /// <summary>Starts the graph build in the background when the index is at its threshold; takes over a finished one.</summary>
    public void Prepare()
    {
        TakeOverBuild();
        if (_graph is null && _building is null && Count >= Threshold && Count > 0 && !TryLoadCached())
        {
            StartBuild();
        }
    }

    /// <summary>
    /// Writes the graph and its chunk map to <see cref="CachePath"/> (after a build, and when the shard deactivates). A
    /// cache that cannot be written is skipped: the next activation builds the graph again.
    /// </summary>
    public void Persist()
    {
        if (CachePath is null || _graph is null || _building is not null)
        {
            return;
        }

        new HnswGraphCache(CachePath).Write(_graph, _scale, _exact.Rows);
    }

    /// <summary>Builds the graph (in the background) and waits for it: for benchmarks and tests.</summary>
    public async Task BuildAsync()
    {
        Prepare();
        while (_building is { } building)
        {
            await building.ConfigureAwait(false);
            TakeOverBuild();
        }
    }

    public SearchHit[] Search(ReadOnlySpan<float> query, int k, bool perDocument = false, Func<string, bool>? allow = null)
    {
        _exact.Rows.CheckQuery(query);
        if (k <= 0 || Count == 0)
        {
            return [];
        }

        Prepare();
        if (_graph is null || Count < Threshold || allow is not null)
        {
            return _exact.Search(query, k, perDocument, allow);
        }

        var rows = _exact.Rows;
        var fetch = Math.Min(Count, Math.Max(k * RescoreFactor, k + 16) * (perDocument ? 3 : 1));
        var vector = query.ToArray();
        _graph.Search(Codes(vector, _scale), fetch, out var keys, out _);
        var candidates = new List<int>(keys.Length);
        foreach (var key in keys)
        {
            if (rows.RowOf(key) is var row and >= 0)
            {
                candidates.Add(row);
            }
        }

        var ranked = RowScan.Rescore(rows, candidates, vector, k, perDocument);
        if (ranked.Count < k && fetch < Count)
        {
            return _exact.Search(query, k, perDocument, allow); // the candidates held fewer than k documents
        }

        return RowScan.Hits(rows, ranked);
    }

    public void Dispose()
    {
        _graph?.Dispose();
        _graph = null;
        _building?.ContinueWith(static done => done.Result.Graph.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        _building = null;
    }

    /// <summary>The graph <see cref="Persist"/> wrote, moved onto the current rows, with the chunks it lacks added; false (and a build instead) when there is none to use.</summary>
    private bool TryLoadCached()
    {
        if (CachePath is null || new HnswGraphCache(CachePath).TryLoad(_exact.Rows, Dimensions, MaxPendingChanges) is not { } loaded)
        {
            return false;
        }

        AddToGraph(loaded.Graph, loaded.Scale, loaded.Missing);
        _graph = loaded.Graph;
        _scale = loaded.Scale;
        LoadedFromCache = true;
        return true;
    }

    /// <summary>
    /// A graph over int8 codes compared by inner product, every vector under one scale (the largest component of the
    /// rows at ±127 when it is built: <see cref="Int8Vectors.CodesPerUnit"/>; a larger one later is clamped), so the
    /// codes' inner product ranks as the vectors' does: a quarter of fp32's bytes per distance and half of bfloat16's,
    /// faster than either at the same recall after re-scoring (bench <c>index</c>, where USearch given floats is the peer).
    /// </summary>
    private static USearchIndex NewGraph(int dimensions) =>
        new(MetricKind.Ip, ScalarKind.Int8, (ulong)dimensions, Connectivity, ExpansionAdd, ExpansionSearch);

    /// <summary>A vector's codes as the graph holds them, under the graph's one scale (<see cref="NewGraph"/>).</summary>
    private static sbyte[] Codes(ReadOnlySpan<float> vector, float scale) => Int8Vectors.Quantize(vector, scale);

    /// <summary>Copies the rows (keys and fp32 vectors) and builds a graph from the copy on a thread-pool thread.</summary>
    private void StartBuild()
    {
        var rows = _exact.Rows;
        var dimensions = Dimensions;
        var keys = new ulong[rows.Count];
        var vectors = new float[rows.Count * dimensions];
        for (var row = 0; row < keys.Length; row++)
        {
            keys[row] = rows.Key(row);
            rows.Vector(row).CopyTo(vectors.AsSpan(row * dimensions, dimensions));
        }

        _addedDuringBuild.Clear();
        _removedDuringBuild.Clear();
        _building = Task.Run(() =>
        {
            var watch = Stopwatch.StartNew();
            var graph = NewGraph(dimensions);
            var scale = Int8Vectors.CodesPerUnit(vectors);
            try
            {
                for (var start = 0; start < keys.Length; start += AddBatch)
                {
                    var count = Math.Min(AddBatch, keys.Length - start);
                    var batch = new sbyte[count][];
                    for (var i = 0; i < count; i++)
                    {
                        batch[i] = Codes(vectors.AsSpan((start + i) * dimensions, dimensions), scale);
                    }

                    graph.Add(keys[start..(start + count)], batch);
                }
            }
            catch
            {
                graph.Dispose();
                throw;
            }

            return (graph, scale, watch.Elapsed);
        });
    }

    /// <summary>In the owner's turn: a completed build becomes the graph, with the changes made meanwhile applied.</summary>
    private void TakeOverBuild()
    {
        if (_building is not { IsCompleted: true } building)
        {
            return;
        }

        _building = null;
        if (!building.IsCompletedSuccessfully)
        {
            _ = building.Exception; // observed; the next Prepare builds again
            return;
        }

        var (graph, scale, elapsed) = building.GetAwaiter().GetResult();
        LastBuild = elapsed;
        if (_addedDuringBuild.Count + _removedDuringBuild.Count > MaxPendingChanges)
        {
            graph.Dispose();
            StartBuild(); // many changes since the copy: a new copy is cheaper than adding them here
            return;
        }

        foreach (var key in _removedDuringBuild.Where(graph.Contains))
        {
            graph.Remove(key);
        }

        var rows = _exact.Rows;
        AddToGraph(graph, scale, [.. _addedDuringBuild.Where(key => rows.RowOf(key) >= 0 && !graph.Contains(key))]);
        _addedDuringBuild.Clear();
        _removedDuringBuild.Clear();
        _graph = graph;
        _scale = scale;
        LoadedFromCache = false;
        Persist();
    }

    private void AddToGraph(USearchIndex graph, float scale, List<ulong> keys)
    {
        if (keys.Count == 0)
        {
            return;
        }

        var rows = _exact.Rows;
        graph.Add([.. keys], [.. keys.Select(key => Codes(rows.Vector(rows.RowOf(key)), scale))]);
    }

    private void RemoveFromGraph(string documentId)
    {
        var rows = _exact.Rows;
        foreach (var row in rows.RowsOf(documentId))
        {
            if (_graph is not null)
            {
                _graph.Remove(rows.Key(row));
            }
            else if (_building is not null)
            {
                _removedDuringBuild.Add(rows.Key(row));
            }
        }
    }
}
