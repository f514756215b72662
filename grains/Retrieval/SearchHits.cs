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
    /// Score fusion: each list's scores made comparable as z-scores (how far above its own mean, in its own standard
    /// deviations), then a weighted sum (<paramref name="weights"/>, one per list); a hit missing from a list counts as
    /// that list's lowest. Per list, a hit's best chunk counts. Hits are identified by chunk id, or by document id when
    /// <paramref name="perDocument"/>.
    /// </summary>
    public static SearchHit[] ScoreFusion(IReadOnlyList<IReadOnlyList<SearchHit>> lists, IReadOnlyList<double> weights, int topK, bool perDocument)
    {
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentNullException.ThrowIfNull(weights);
        var normalised = lists.Select(list => ZScores(list, perDocument)).ToList();
        var hits = new Dictionary<string, SearchHit>(StringComparer.Ordinal);
        foreach (var list in lists)
        {
            foreach (var hit in list)
            {
                hits.TryAdd(perDocument ? hit.DocumentId : hit.ChunkId, hit);
            }
        }

        var floors = normalised.Select(z => z.Count > 0 ? z.Values.Min() : 0).ToList();
        return TopK(hits.Select(pair => pair.Value with
        {
            Score = (float)Enumerable.Range(0, lists.Count).Sum(i => weights[i] * normalised[i].GetValueOrDefault(pair.Key, floors[i])),
        }), topK, perDocument: false);

        static Dictionary<string, double> ZScores(IReadOnlyList<SearchHit> list, bool perDocument)
        {
            var best = new Dictionary<string, double>(StringComparer.Ordinal);
            if (list.Count == 0)
            {
                return best;
            }

            var mean = list.Average(h => (double)h.Score);
            var deviation = Math.Sqrt(list.Average(h => (h.Score - mean) * (h.Score - mean)));
            foreach (var hit in list)
            {
                var z = deviation > 0 ? (hit.Score - mean) / deviation : 0;
                var key = perDocument ? hit.DocumentId : hit.ChunkId;
                best[key] = best.TryGetValue(key, out var seen) ? Math.Max(seen, z) : z;
            }

            return best;
        }
    }

    /// <summary>
    /// Reciprocal rank fusion: each list contributes weight / (k + rank) (rank from 1) to a hit's score (the weights
    /// default to 1 each). Hits are identified by chunk id, or by document id when <paramref name="perDocument"/>.
    /// </summary>
    public static SearchHit[] ReciprocalRankFusion(IReadOnlyList<IReadOnlyList<SearchHit>> lists, int rrfK, int topK, bool perDocument, IReadOnlyList<double>? weights = null)
    {
        ArgumentNullException.ThrowIfNull(lists);
        var fused = new Dictionary<string, (SearchHit Hit, double Score)>(StringComparer.Ordinal);
        for (var l = 0; l < lists.Count; l++)
        {
            var list = lists[l];
            var weight = weights?[l] ?? 1.0;
            for (var rank = 0; rank < list.Count; rank++)
            {
                var hit = list[rank];
                var key = perDocument ? hit.DocumentId : hit.ChunkId;
                var contribution = weight / (rrfK + rank + 1);
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
