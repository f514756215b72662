using System.Numerics.Tensors;

namespace OrleansRag.Retrieval;

/// <summary>
/// Exact inner-product index over unit vectors kept in one contiguous array, scored with SIMD
/// (<see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>). Not thread-safe: its owner
/// (a shard grain) serialises access. Removal moves the last row into the gap, so rows stay contiguous.
/// </summary>
public sealed class VectorIndex(int dimensions)
{
    private readonly Dictionary<string, List<int>> _rowsByDocument = new(StringComparer.Ordinal);
    private readonly List<IndexedChunk> _chunks = [];
    private float[] _vectors = new float[dimensions * 64];

    public int Dimensions { get; } = dimensions;

    public int Count => _chunks.Count;

    public int DocumentCount => _rowsByDocument.Count;

    public bool ContainsDocument(string documentId) => _rowsByDocument.ContainsKey(documentId);

    /// <summary>Replaces every chunk of <paramref name="documentId"/>.</summary>
    public void Upsert(string documentId, IReadOnlyList<IndexedChunk> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        Remove(documentId);
        if (chunks.Count == 0)
        {
            return;
        }

        var rows = new List<int>(chunks.Count);
        foreach (var chunk in chunks)
        {
            if (chunk.Vector.Length != Dimensions)
            {
                throw new ArgumentException($"Chunk {chunk.ChunkId} has {chunk.Vector.Length} dimensions; the index has {Dimensions}.", nameof(chunks));
            }

            var row = _chunks.Count;
            EnsureCapacity(row + 1);
            chunk.Vector.CopyTo(_vectors.AsSpan(row * Dimensions, Dimensions));
            _chunks.Add(chunk with { Vector = [] }); // the vector lives in the contiguous array only
            rows.Add(row);
        }

        _rowsByDocument[documentId] = rows;
    }

    public bool Remove(string documentId)
    {
        if (!_rowsByDocument.Remove(documentId, out var rows))
        {
            return false;
        }

        // Remove from the highest row down so that moved rows never land in a row still to be removed.
        rows.Sort();
        for (var i = rows.Count - 1; i >= 0; i--)
        {
            RemoveRow(rows[i]);
        }

        return true;
    }

    /// <summary>The chunks of one document with their vectors, in chunk order.</summary>
    public IndexedChunk[] GetDocumentChunks(string documentId)
    {
        if (!_rowsByDocument.TryGetValue(documentId, out var rows))
        {
            return [];
        }

        return [.. rows.Select(row => _chunks[row] with { Vector = _vectors.AsSpan(row * Dimensions, Dimensions).ToArray() })
            .OrderBy(chunk => chunk.ChunkIndex)];
    }

    /// <summary>
    /// The exact top <paramref name="k"/> rows by inner product, best first (ties by chunk id); per document
    /// (each document's best chunk) when asked, and only over documents <paramref name="allow"/> accepts, so a
    /// selective filter still returns k results when k exist.
    /// </summary>
    public SearchHit[] Search(ReadOnlySpan<float> query, int k, bool perDocument, Func<string, bool>? allow = null)
    {
        if (query.Length != Dimensions)
        {
            throw new ArgumentException($"The query has {query.Length} dimensions; the index has {Dimensions}.", nameof(query));
        }

        if (!perDocument && allow is null)
        {
            return Search(query, k);
        }

        var best = new Dictionary<string, (float Score, int Row)>(StringComparer.Ordinal);
        var rows = new List<(float Score, int Row)>();
        var vectors = _vectors.AsSpan();
        for (var row = 0; row < Count; row++)
        {
            var documentId = _chunks[row].DocumentId;
            if (allow is not null && !allow(documentId))
            {
                continue;
            }

            var score = TensorPrimitives.Dot(vectors.Slice(row * Dimensions, Dimensions), query);
            if (!perDocument)
            {
                rows.Add((score, row));
            }
            else if (!best.TryGetValue(documentId, out var current) || score > current.Score
                || score == current.Score && string.CompareOrdinal(_chunks[row].ChunkId, _chunks[current.Row].ChunkId) < 0)
            {
                best[documentId] = (score, row);
            }
        }

        var candidates = perDocument ? best.Values : (IEnumerable<(float Score, int Row)>)rows;
        return SearchHits.TopK(candidates.Select(c => Hit(c.Row, c.Score)), k, perDocument: false);
    }

    /// <summary>The exact top <paramref name="k"/> rows by inner product, best first (ties by chunk id).</summary>
    public SearchHit[] Search(ReadOnlySpan<float> query, int k)
    {
        if (query.Length != Dimensions)
        {
            throw new ArgumentException($"The query has {query.Length} dimensions; the index has {Dimensions}.", nameof(query));
        }

        k = Math.Min(k, Count);
        if (k <= 0)
        {
            return [];
        }

        // Min-heap of the best k so far: the root is the weakest kept hit.
        var heap = new PriorityQueue<int, (float Score, string Id)>(k, WorstFirst.Instance);
        var vectors = _vectors.AsSpan();
        for (var row = 0; row < Count; row++)
        {
            var score = TensorPrimitives.Dot(vectors.Slice(row * Dimensions, Dimensions), query);
            if (heap.Count < k)
            {
                heap.Enqueue(row, (score, _chunks[row].ChunkId));
            }
            else if (heap.TryPeek(out _, out var weakest) && WorstFirst.Instance.Compare((score, _chunks[row].ChunkId), weakest) > 0)
            {
                heap.DequeueEnqueue(row, (score, _chunks[row].ChunkId));
            }
        }

        var hits = new SearchHit[heap.Count];
        for (var i = hits.Length - 1; heap.TryDequeue(out var row, out var priority); i--)
        {
            hits[i] = Hit(row, priority.Score);
        }

        return hits;
    }

    private SearchHit Hit(int row, float score)
    {
        return SearchHit.Of(_chunks[row], score);
    }

    private void RemoveRow(int row)
    {
        var last = _chunks.Count - 1;
        if (row != last)
        {
            _vectors.AsSpan(last * Dimensions, Dimensions).CopyTo(_vectors.AsSpan(row * Dimensions, Dimensions));
            var moved = _chunks[last];
            _chunks[row] = moved;
            var movedRows = _rowsByDocument[moved.DocumentId];
            movedRows[movedRows.IndexOf(last)] = row;
        }

        _chunks.RemoveAt(last);
    }

    private void EnsureCapacity(int rows)
    {
        if (rows * Dimensions > _vectors.Length)
        {
            Array.Resize(ref _vectors, Math.Max(rows * Dimensions, _vectors.Length * 2));
        }
    }

    /// <summary>Orders hits best first: higher score, then chunk id (ordinal) to break ties deterministically.</summary>
    public sealed class BestFirst : IComparer<SearchHit>
    {
        public static readonly BestFirst Instance = new();

        public int Compare(SearchHit? x, SearchHit? y)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(y);
            var byScore = y.Score.CompareTo(x.Score);
            return byScore != 0 ? byScore : string.CompareOrdinal(x.ChunkId, y.ChunkId);
        }
    }

    private sealed class WorstFirst : IComparer<(float Score, string Id)>
    {
        public static readonly WorstFirst Instance = new();

        // Lower score is "smaller"; for equal scores the larger id is worse (BestFirst keeps the smaller id).
        public int Compare((float Score, string Id) x, (float Score, string Id) y)
        {
            var byScore = x.Score.CompareTo(y.Score);
            return byScore != 0 ? byScore : string.CompareOrdinal(y.Id, x.Id);
        }
    }
}
