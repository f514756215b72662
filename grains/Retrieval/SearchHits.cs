namespace OrleansRag.Retrieval;

/// <summary>Ranking helpers shared by the dense and lexical indexes and the query grain.</summary>
public static class SearchHits
{
    /// <summary>Best first; per document keeps only each document's best chunk. Ties by chunk id.</summary>
    public static SearchHit[] TopK(IEnumerable<SearchHit> hits, int k, bool perDocument)
    {
        ArgumentNullException.ThrowIfNull(hits);
        var ordered = hits.OrderBy(hit => hit, BestFirst.Instance);
        return perDocument
            ? [.. ordered.DistinctBy(hit => hit.DocumentId, StringComparer.Ordinal).Take(k)]
            : [.. ordered.Take(k)];
    }

    /// <summary>
    /// Reciprocal rank fusion: each list contributes 1 / (k + rank) (rank from 1) to a hit's score. Hits are
    /// identified by chunk id, or by document id when <paramref name="perDocument"/>.
    /// </summary>
    public static SearchHit[] ReciprocalRankFusion(IReadOnlyList<IReadOnlyList<SearchHit>> lists, int rrfK, int topK, bool perDocument)
    {
        ArgumentNullException.ThrowIfNull(lists);
        var fused = new Dictionary<string, (SearchHit Hit, double Score)>(StringComparer.Ordinal);
        foreach (var list in lists)
        {
            for (var rank = 0; rank < list.Count; rank++)
            {
                var hit = list[rank];
                var key = perDocument ? hit.DocumentId : hit.ChunkId;
                var contribution = 1.0 / (rrfK + rank + 1);
                fused[key] = fused.TryGetValue(key, out var existing)
                    ? (existing.Hit, existing.Score + contribution)
                    : (hit, contribution);
            }
        }

        return TopK(fused.Values.Select(v => v.Hit with { Score = (float)v.Score }), topK, perDocument: false);
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
}
