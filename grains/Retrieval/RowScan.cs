namespace OrleansRag.Retrieval;

/// <summary>Scores one row of a <see cref="VectorRows"/> against the query of one search.</summary>
internal interface IRowScorer
{
    float Score(int row);
}

internal readonly struct Fp32Scorer(VectorRows rows, float[] query) : IRowScorer
{
    public float Score(int row) => rows.Score(row, query);
}

/// <summary>Scores a run of consecutive rows at once (a whole-index pass, block by block).</summary>
internal interface IBlockScorer
{
    /// <summary>Writes the scores of rows <paramref name="first"/> … <paramref name="first"/> + <c>scores.Length</c> − 1.</summary>
    void Score(int first, Span<float> scores);
}

internal readonly struct Fp32BlockScorer(VectorRows rows, float[] query) : IBlockScorer
{
    public void Score(int first, Span<float> scores) => rows.ScoreRows(first, query, scores);
}

/// <summary>Rows' approximate inner products on int8 codes (<see cref="Int8Vectors.ScoreAll"/>).</summary>
internal readonly struct Int8BlockScorer(sbyte[] codes, float[] scales, int[] sums, sbyte[] query) : IBlockScorer
{
    public void Score(int first, Span<float> scores) =>
        Int8Vectors.ScoreAll(codes.AsSpan(first * query.Length, scores.Length * query.Length), scales.AsSpan(first), sums.AsSpan(first), query, scores);
}

/// <summary>An int8 row's approximate inner product: its codes against the query's, times the row's scale (the query's scale is common to every row, so it is left out).</summary>
internal readonly struct Int8Scorer(sbyte[] codes, float[] scales, sbyte[] query) : IRowScorer
{
    public float Score(int row) => Int8Vectors.Dot(codes.AsSpan(row * query.Length, query.Length), query) * scales[row];
}

/// <summary>The top-k selection every vector index kind shares.</summary>
internal static class RowScan
{
    /// <summary>Rows scored per block by <see cref="TopOfAll"/>: their scores stay in the L1 cache.</summary>
    private const int BlockRows = 256;

    /// <summary>
    /// The best <paramref name="m"/> of all rows, best first (ties by chunk id), scored block by block: no score array
    /// the size of the shard is written and read back, and a row is offered to the heap only when it can enter it.
    /// </summary>
    public static List<(float Score, int Row)> TopOfAll<TScorer>(VectorRows rows, int m, TScorer scorer)
        where TScorer : IBlockScorer
    {
        if (m <= 0 || rows.Count == 0)
        {
            return [];
        }

        var heap = new PriorityQueue<int, (float Score, string Id)>(Math.Min(m, rows.Count) + 1, WorstFirst.Instance);
        Span<float> block = stackalloc float[BlockRows];
        var weakest = float.NegativeInfinity; // a row scoring below the heap's weakest (once full) cannot enter
        for (var first = 0; first < rows.Count; first += BlockRows)
        {
            var scores = block[..Math.Min(BlockRows, rows.Count - first)];
            scorer.Score(first, scores);
            for (var i = 0; i < scores.Length; i++)
            {
                if (scores[i] >= weakest)
                {
                    Offer(heap, m, rows, first + i, scores[i]);
                    if (heap.Count == m && heap.TryPeek(out _, out var priority))
                    {
                        weakest = priority.Score;
                    }
                }
            }
        }

        return Drain(heap);
    }

    /// <summary>
    /// The best <paramref name="m"/> rows by <paramref name="scorer"/>, best first (ties by chunk id); per document,
    /// each document's best row of the best m documents; only rows of documents <paramref name="allow"/> accepts.
    /// </summary>
    public static List<(float Score, int Row)> Top<TScorer>(VectorRows rows, int m, bool perDocument, Func<string, bool>? allow, TScorer scorer)
        where TScorer : IRowScorer
    {
        if (m <= 0 || rows.Count == 0)
        {
            return [];
        }

        var heap = new PriorityQueue<int, (float Score, string Id)>(Math.Min(m, rows.Count) + 1, WorstFirst.Instance);
        if (!perDocument && allow is null)
        {
            for (var row = 0; row < rows.Count; row++)
            {
                Offer(heap, m, rows, row, scorer.Score(row));
            }

            return Drain(heap);
        }

        var best = perDocument ? new Dictionary<string, (float Score, int Row)>(StringComparer.Ordinal) : null;
        for (var row = 0; row < rows.Count; row++)
        {
            var chunk = rows.Chunk(row);
            if (allow is not null && !allow(chunk.DocumentId))
            {
                continue;
            }

            var score = scorer.Score(row);
            if (best is null)
            {
                Offer(heap, m, rows, row, score);
            }
            else if (!best.TryGetValue(chunk.DocumentId, out var current) || Better(rows, score, row, current.Score, current.Row))
            {
                best[chunk.DocumentId] = (score, row);
            }
        }

        foreach (var (score, row) in best?.Values ?? Enumerable.Empty<(float, int)>())
        {
            Offer(heap, m, rows, row, score);
        }

        return Drain(heap);
    }

    /// <summary>
    /// Exact fp32 scores of candidate rows, the best k kept; per document, every row of each candidate's document is
    /// scored, so each document's best chunk is exact too.
    /// </summary>
    public static List<(float Score, int Row)> Rescore(VectorRows rows, IEnumerable<int> candidates, float[] query, int k, bool perDocument)
    {
        var heap = new PriorityQueue<int, (float Score, string Id)>(k + 1, WorstFirst.Instance);
        if (!perDocument)
        {
            foreach (var row in candidates)
            {
                Offer(heap, k, rows, row, rows.Score(row, query));
            }

            return Drain(heap);
        }

        foreach (var documentId in candidates.Select(row => rows.Chunk(row).DocumentId).Distinct(StringComparer.Ordinal))
        {
            var bestRow = -1;
            var bestScore = float.NegativeInfinity;
            foreach (var row in rows.RowsOf(documentId))
            {
                var score = rows.Score(row, query);
                if (bestRow < 0 || Better(rows, score, row, bestScore, bestRow))
                {
                    (bestScore, bestRow) = (score, row);
                }
            }

            Offer(heap, k, rows, bestRow, bestScore);
        }

        return Drain(heap);
    }

    public static SearchHit[] Hits(VectorRows rows, List<(float Score, int Row)> ranked) =>
        [.. ranked.Select(r => SearchHit.Of(rows.Chunk(r.Row), r.Score))];

    private static bool Better(VectorRows rows, float score, int row, float otherScore, int otherRow) =>
        score > otherScore || (score == otherScore && string.CompareOrdinal(rows.Chunk(row).ChunkId, rows.Chunk(otherRow).ChunkId) < 0);

    private static void Offer(PriorityQueue<int, (float Score, string Id)> heap, int m, VectorRows rows, int row, float score)
    {
        if (heap.Count < m)
        {
            heap.Enqueue(row, (score, rows.Chunk(row).ChunkId));
        }
        else if (heap.TryPeek(out _, out var weakest) && score >= weakest.Score)
        {
            var candidate = (score, rows.Chunk(row).ChunkId);
            if (WorstFirst.Instance.Compare(candidate, weakest) > 0)
            {
                heap.DequeueEnqueue(row, candidate);
            }
        }
    }

    private static List<(float Score, int Row)> Drain(PriorityQueue<int, (float Score, string Id)> heap)
    {
        var ranked = new (float Score, int Row)[heap.Count];
        for (var i = ranked.Length - 1; heap.TryDequeue(out var row, out var priority); i--)
        {
            ranked[i] = (priority.Score, row);
        }

        return [.. ranked];
    }

    /// <summary>Lower score is "smaller"; for equal scores the larger id is worse (best-first order keeps the smaller id).</summary>
    private sealed class WorstFirst : IComparer<(float Score, string Id)>
    {
        public static readonly WorstFirst Instance = new();

        public int Compare((float Score, string Id) x, (float Score, string Id) y)
        {
            var byScore = x.Score.CompareTo(y.Score);
            return byScore != 0 ? byScore : string.CompareOrdinal(y.Id, x.Id);
        }
    }
}
