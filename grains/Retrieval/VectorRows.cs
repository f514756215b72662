using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OrleansRag.Retrieval;

/// <summary>
/// The rows every vector index kind keeps: each chunk (without its vector) and its unit vector in one contiguous fp32
/// array, grouped by document, each row with a key that stays with the chunk while rows move. Removal moves the last
/// row into the gap so rows stay contiguous; <see cref="RowMoved"/> tells a derived structure (int8 codes, a graph)
/// to follow. Not thread-safe: its owner (a shard grain) serialises access.
/// </summary>
internal sealed class VectorRows(int dimensions)
{
    private readonly Dictionary<string, List<int>> _rowsByDocument = new(StringComparer.Ordinal);
    private readonly List<IndexedChunk> _chunks = [];
    private readonly List<ulong> _keys = [];
    private readonly Dictionary<ulong, int> _rowByKey = [];
    private float[] _vectors = new float[dimensions * 8];
    private ulong _nextKey;

    public int Dimensions { get; } = dimensions;

    public int Count => _chunks.Count;

    public int DocumentCount => _rowsByDocument.Count;

    /// <summary>Bytes of the fp32 array (its capacity, as allocated).</summary>
    public long VectorBytes => (long)_vectors.Length * sizeof(float);

    /// <summary>Called with (from, to) when the last row moves into a removed row's place.</summary>
    public Action<int, int>? RowMoved { get; init; }

    public bool ContainsDocument(string documentId) => _rowsByDocument.ContainsKey(documentId);

    public IndexedChunk Chunk(int row) => _chunks[row];

    public ReadOnlySpan<float> Vector(int row) => _vectors.AsSpan(row * Dimensions, Dimensions);

    public ulong Key(int row) => _keys[row];

    public int RowOf(ulong key) => _rowByKey.TryGetValue(key, out var row) ? row : -1;

    public IReadOnlyList<int> RowsOf(string documentId) => _rowsByDocument.TryGetValue(documentId, out var rows) ? rows : [];

    /// <summary>Adds every chunk of <paramref name="documentId"/> (removed before by the caller) and returns their rows.</summary>
    public List<int> Add(string documentId, IReadOnlyList<IndexedChunk> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        foreach (var chunk in chunks)
        {
            if (chunk.Vector.Length != Dimensions)
            {
                throw new ArgumentException($"Chunk {chunk.ChunkId} has {chunk.Vector.Length} dimensions; the index has {Dimensions}.", nameof(chunks));
            }
        }

        var rows = new List<int>(chunks.Count);
        foreach (var chunk in chunks)
        {
            var row = _chunks.Count;
            EnsureCapacity(row + 1);
            chunk.Vector.CopyTo(_vectors.AsSpan(row * Dimensions, Dimensions));
            _chunks.Add(chunk with { Vector = [] }); // the vector lives in the contiguous array only
            var key = _nextKey++;
            _keys.Add(key);
            _rowByKey[key] = row;
            rows.Add(row);
        }

        if (rows.Count > 0)
        {
            _rowsByDocument[documentId] = rows;
        }

        return rows;
    }

    /// <summary>Removes the document's rows; returns their keys (empty when it had none).</summary>
    public ulong[] Remove(string documentId)
    {
        if (!_rowsByDocument.Remove(documentId, out var rows))
        {
            return [];
        }

        var keys = rows.Select(row => _keys[row]).ToArray();

        // Remove from the highest row down so that moved rows never land in a row still to be removed.
        rows.Sort();
        for (var i = rows.Count - 1; i >= 0; i--)
        {
            RemoveRow(rows[i]);
        }

        return keys;
    }

    /// <summary>
    /// Chunks of one document in chunk order: <paramref name="limit"/> of them from <paramref name="offset"/>, with their
    /// vectors unless <paramref name="withVectors"/> is false (an empty vector then).
    /// </summary>
    public IndexedChunk[] DocumentChunks(string documentId, int offset = 0, int limit = int.MaxValue, bool withVectors = true) =>
        [.. RowsOf(documentId).OrderBy(row => _chunks[row].ChunkIndex).Skip(offset).Take(limit)
            .Select(row => withVectors ? _chunks[row] with { Vector = Vector(row).ToArray() } : _chunks[row] with { Vector = [], Sentences = null })];

    /// <summary>
    /// The inner products of rows <paramref name="first"/> … <paramref name="first"/> + <c>scores.Length</c> − 1 with
    /// <paramref name="query"/>: with AVX-512, four rows per pass over the query with fused multiply-adds, so the scan
    /// runs near memory bandwidth; else row by row (<see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>,
    /// SIMD of the CPU's width).
    /// </summary>
    public void ScoreRows(int first, ReadOnlySpan<float> query, Span<float> scores)
    {
        CheckQuery(query);
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first + scores.Length, Count, nameof(scores));
        var vectors = _vectors.AsSpan(first * Dimensions, scores.Length * Dimensions);
        var row = 0;
        if (Vector512.IsHardwareAccelerated && Dimensions % Vector512<float>.Count == 0)
        {
            row = ScoreBlocks512(vectors, query, scores);
        }

        for (; row < scores.Length; row++)
        {
            scores[row] = TensorPrimitives.Dot(vectors.Slice(row * Dimensions, Dimensions), query);
        }
    }

    private int ScoreBlocks512(ReadOnlySpan<float> vectors, ReadOnlySpan<float> query, Span<float> scores)
    {
        ref var q = ref MemoryMarshal.GetReference(query);
        ref var v = ref MemoryMarshal.GetReference(vectors);
        var dimensions = (nuint)Dimensions;
        var width = (nuint)Vector512<float>.Count;
        var row = 0;
        for (; row + 4 <= scores.Length; row += 4)
        {

            var a0 = Vector512<float>.Zero;
            var a1 = Vector512<float>.Zero;
            var a2 = Vector512<float>.Zero;
            var a3 = Vector512<float>.Zero;
            var start = (nuint)row * dimensions;
            for (nuint d = 0; d < dimensions; d += width)
            {
                var x = Vector512.LoadUnsafe(ref q, d);
                a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref v, start + d), x, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref v, start + dimensions + d), x, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref v, start + (2 * dimensions) + d), x, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref v, start + (3 * dimensions) + d), x, a3);
            }

            scores[row] = Vector512.Sum(a0);
            scores[row + 1] = Vector512.Sum(a1);
            scores[row + 2] = Vector512.Sum(a2);
            scores[row + 3] = Vector512.Sum(a3);
        }

        return row;
    }

    /// <summary>The exact inner product of a row with <paramref name="query"/>.</summary>
    public float Score(int row, ReadOnlySpan<float> query) => TensorPrimitives.Dot(Vector(row), query);

    public void CheckQuery(ReadOnlySpan<float> query)
    {
        if (query.Length != Dimensions)
        {
            throw new ArgumentException($"The query has {query.Length} dimensions; the index has {Dimensions}.", nameof(query));
        }
    }

    private void RemoveRow(int row)
    {
        var last = _chunks.Count - 1;
        _rowByKey.Remove(_keys[row]);
        if (row != last)
        {
            _vectors.AsSpan(last * Dimensions, Dimensions).CopyTo(_vectors.AsSpan(row * Dimensions, Dimensions));
            var moved = _chunks[last];
            _chunks[row] = moved;
            _keys[row] = _keys[last];
            _rowByKey[_keys[row]] = row;
            var movedRows = _rowsByDocument[moved.DocumentId];
            movedRows[movedRows.IndexOf(last)] = row;
            RowMoved?.Invoke(last, row);
        }

        _chunks.RemoveAt(last);
        _keys.RemoveAt(last);
    }

    private void EnsureCapacity(int rows)
    {
        if (rows * Dimensions > _vectors.Length)
        {
            Array.Resize(ref _vectors, Math.Max(rows * Dimensions, _vectors.Length * 2));
        }
    }
}
