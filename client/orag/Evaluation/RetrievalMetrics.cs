namespace OrleansRag.Cli.Evaluation;

/// <summary>The standard BEIR/TREC measures, averaged over queries (as pytrec_eval computes them).</summary>
public sealed record RetrievalScores(double NdcgAt10, double RecallAt10, double RecallAt100, double MrrAt10, int Queries);

public static class RetrievalMetrics
{
    /// <summary>
    /// nDCG@10 with graded gains (rel, log2 discount), recall@10 and @100 over the judged-relevant documents
    /// (rel &gt; 0), MRR@10; each averaged over every judged query (a query with no results scores 0).
    /// </summary>
    public static RetrievalScores Score(
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> qrels,
        IReadOnlyDictionary<string, IReadOnlyList<string>> rankings)
    {
        ArgumentNullException.ThrowIfNull(qrels);
        ArgumentNullException.ThrowIfNull(rankings);
        double ndcg = 0, recall10 = 0, recall100 = 0, mrr = 0;
        foreach (var (query, judged) in qrels)
        {
            var ranking = rankings.TryGetValue(query, out var r) ? r : [];
            var relevant = judged.Where(j => j.Value > 0).Select(j => j.Key).ToHashSet(StringComparer.Ordinal);
            ndcg += Ndcg(judged, ranking, 10);
            recall10 += relevant.Count == 0 ? 0 : ranking.Take(10).Count(relevant.Contains) / (double)relevant.Count;
            recall100 += relevant.Count == 0 ? 0 : ranking.Take(100).Count(relevant.Contains) / (double)relevant.Count;
            var first = ranking.Take(10).Select((id, i) => (id, i)).FirstOrDefault(x => relevant.Contains(x.id));
            mrr += first.id is null ? 0 : 1.0 / (first.i + 1);
        }

        var n = Math.Max(1, qrels.Count);
        return new RetrievalScores(ndcg / n, recall10 / n, recall100 / n, mrr / n, qrels.Count);
    }

    public static double Ndcg(IReadOnlyDictionary<string, int> judged, IReadOnlyList<string> ranking, int k)
    {
        ArgumentNullException.ThrowIfNull(judged);
        ArgumentNullException.ThrowIfNull(ranking);
        var dcg = ranking.Take(k).Select((id, i) => judged.TryGetValue(id, out var rel) ? rel / Math.Log2(i + 2) : 0).Sum();
        var idcg = judged.Values.Where(v => v > 0).OrderDescending().Take(k).Select((rel, i) => rel / Math.Log2(i + 2)).Sum();
        return idcg == 0 ? 0 : dcg / idcg;
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        return sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
