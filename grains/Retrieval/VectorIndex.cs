namespace OrleansRag.Retrieval;

/// <summary>How a shard finds the nearest chunks to a query vector.</summary>
public enum VectorIndexKind
{
    /// <summary>Every row scored in fp32: exact, the most memory traffic.</summary>
    Fp32,

    /// <summary>Every row scored on int8 codes, the best candidates re-scored in fp32: near-exact at about a quarter of the traffic.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "int8 is the name of the quantisation users configure.")]
    Int8,

    /// <summary>A navigable graph (HNSW, USearch) for large shards: a few hundred rows visited per query, candidates re-scored in fp32.</summary>
    Hnsw,
}

/// <summary>
/// A shard's dense index over unit vectors. Every kind holds the same rows (chunk + fp32 vector) and answers the same
/// question: the top k rows by inner product, best first (ties by chunk id), optionally one per document and only over
/// documents a filter accepts, so a selective filter still returns k results when k exist. Not thread-safe: its owner
/// (a shard grain) serialises access.
/// </summary>
public interface IVectorIndex : IDisposable
{
    VectorIndexKind Kind { get; }

    int Dimensions { get; }

    int Count { get; }

    int DocumentCount { get; }

    /// <summary>Bytes held for vectors and the search structure (fp32 rows, codes, graph), excluding the chunks' text.</summary>
    long VectorBytes { get; }

    bool ContainsDocument(string documentId);

    /// <summary>Replaces every chunk of <paramref name="documentId"/>.</summary>
    void Upsert(string documentId, IReadOnlyList<IndexedChunk> chunks);

    bool Remove(string documentId);

    /// <summary>
    /// Chunks of one document in chunk order (<paramref name="limit"/> from <paramref name="offset"/>), with their vectors
    /// unless <paramref name="withVectors"/> is false.
    /// </summary>
    IndexedChunk[] GetDocumentChunks(string documentId, int offset = 0, int limit = int.MaxValue, bool withVectors = true);

    /// <summary>How many chunks one document has.</summary>
    int DocumentChunkCount(string documentId);

    SearchHit[] Search(ReadOnlySpan<float> query, int k, bool perDocument = false, Func<string, bool>? allow = null);

    /// <summary>Starts background work the index needs to answer at full speed (a graph build); nothing for the exact kinds.</summary>
    void Prepare();

    /// <summary>Keeps what is costly to rebuild (a graph) where the next activation finds it; nothing for the exact kinds.</summary>
    void Persist();
}

/// <summary>An index that scans every row: the rows are reachable for a graph built over them.</summary>
internal interface IExactVectorIndex : IVectorIndex
{
    VectorRows Rows { get; }
}

/// <summary>Exact search over fp32 rows: every row's inner product with the query (SIMD), the best k kept in a heap.</summary>
public sealed class Fp32VectorIndex(int dimensions) : IExactVectorIndex
{
    private readonly VectorRows _rows = new(dimensions);

    public VectorIndexKind Kind => VectorIndexKind.Fp32;

    public int Dimensions => _rows.Dimensions;

    public int Count => _rows.Count;

    public int DocumentCount => _rows.DocumentCount;

    public long VectorBytes => _rows.VectorBytes;

    VectorRows IExactVectorIndex.Rows => _rows;

    public bool ContainsDocument(string documentId) => _rows.ContainsDocument(documentId);

    public void Upsert(string documentId, IReadOnlyList<IndexedChunk> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        _rows.Remove(documentId);
        _rows.Add(documentId, chunks);
    }

    public bool Remove(string documentId) => _rows.Remove(documentId).Length > 0;

    public IndexedChunk[] GetDocumentChunks(string documentId, int offset = 0, int limit = int.MaxValue, bool withVectors = true) =>
        _rows.DocumentChunks(documentId, offset, limit, withVectors);

    public int DocumentChunkCount(string documentId) => _rows.RowsOf(documentId).Count;

    public SearchHit[] Search(ReadOnlySpan<float> query, int k, bool perDocument = false, Func<string, bool>? allow = null)
    {
        _rows.CheckQuery(query);
        if (perDocument || allow is not null)
        {
            return RowScan.Hits(_rows, RowScan.Top(_rows, k, perDocument, allow, new Fp32Scorer(_rows, query.ToArray())));
        }

        return RowScan.Hits(_rows, RowScan.TopOfAll(_rows, k, new Fp32BlockScorer(_rows, query.ToArray())));
    }

    public void Prepare()
    {
    }

    public void Persist()
    {
    }

    public void Dispose()
    {
    }
}

/// <summary>
/// Exact scan on int8 codes (one scale per row) for candidates, then the best candidates re-scored on the fp32 rows,
/// so scores are exact and the ranking matches fp32 whenever the true top k are among the candidates
/// (<see cref="RescoreFactor"/> × k of them; one per document, with every chunk of a candidate document re-scored, when
/// asked per document).
/// </summary>
public sealed class Int8VectorIndex : IExactVectorIndex
{
    private readonly VectorRows _rows;
    private sbyte[] _codes;
    private float[] _scales;
    private int[] _sums;

    public Int8VectorIndex(int dimensions, int rescoreFactor = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rescoreFactor, 1);
        RescoreFactor = rescoreFactor;
        _rows = new VectorRows(dimensions) { RowMoved = Move };
        _codes = new sbyte[dimensions * 8];
        _scales = new float[8];
        _sums = new int[8];
    }

    public int RescoreFactor { get; }

    public VectorIndexKind Kind => VectorIndexKind.Int8;

    public int Dimensions => _rows.Dimensions;

    public int Count => _rows.Count;

    public int DocumentCount => _rows.DocumentCount;

    public long VectorBytes => _rows.VectorBytes + _codes.Length + ((long)_scales.Length * (sizeof(float) + sizeof(int)));

    VectorRows IExactVectorIndex.Rows => _rows;

    public bool ContainsDocument(string documentId) => _rows.ContainsDocument(documentId);

    public void Upsert(string documentId, IReadOnlyList<IndexedChunk> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        _rows.Remove(documentId);
        foreach (var row in _rows.Add(documentId, chunks))
        {
            if ((row + 1) * Dimensions > _codes.Length)
            {
                Array.Resize(ref _codes, Math.Max((row + 1) * Dimensions, _codes.Length * 2));
                Array.Resize(ref _scales, _codes.Length / Dimensions);
                Array.Resize(ref _sums, _codes.Length / Dimensions);
            }

            _scales[row] = Int8Vectors.Quantize(_rows.Vector(row), _codes.AsSpan(row * Dimensions, Dimensions));
            _sums[row] = Int8Vectors.Sum(_codes.AsSpan(row * Dimensions, Dimensions));
        }
    }

    public bool Remove(string documentId) => _rows.Remove(documentId).Length > 0;

    public IndexedChunk[] GetDocumentChunks(string documentId, int offset = 0, int limit = int.MaxValue, bool withVectors = true) =>
        _rows.DocumentChunks(documentId, offset, limit, withVectors);

    public int DocumentChunkCount(string documentId) => _rows.RowsOf(documentId).Count;

    public SearchHit[] Search(ReadOnlySpan<float> query, int k, bool perDocument = false, Func<string, bool>? allow = null)
    {
        _rows.CheckQuery(query);
        if (k <= 0 || Count == 0)
        {
            return [];
        }

        var queryCodes = new sbyte[Dimensions];
        Int8Vectors.Quantize(query, queryCodes);
        var m = Math.Max(k * RescoreFactor, k + 16);
        var candidates = perDocument || allow is not null
            ? RowScan.Top(_rows, m, perDocument, allow, new Int8Scorer(_codes, _scales, queryCodes))
            : RowScan.TopOfAll(_rows, m, new Int8BlockScorer(_codes, _scales, _sums, queryCodes));

        return RowScan.Hits(_rows, RowScan.Rescore(_rows, candidates.Select(c => c.Row), query.ToArray(), k, perDocument));
    }

    public void Prepare()
    {
    }

    public void Persist()
    {
    }

    public void Dispose()
    {
    }

    private void Move(int from, int to)
    {
        _codes.AsSpan(from * Dimensions, Dimensions).CopyTo(_codes.AsSpan(to * Dimensions, Dimensions));
        _scales[to] = _scales[from];
        _sums[to] = _sums[from];
    }
}
