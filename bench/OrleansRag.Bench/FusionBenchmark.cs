using System.Globalization;
using OrleansRag.Client;

namespace OrleansRag.Bench;

/// <summary>
/// How dense and BM25 rankings are best fused, measured on a BEIR-layout set's test queries (SciFact by default,
/// <c>--dataset DIR</c> for another, e.g. tests/data/manpages): the corpus is ingested once (whole documents, the
/// default int8 model), each query is searched once per mode at depth 100 (per document), and the
/// fusions are computed from those two lists: reciprocal rank fusion at several k, weighted RRF, and convex combinations
/// of min-max and z-score normalised scores at several dense weights. Prints nDCG@10 for each; asserts nothing.
/// </summary>
internal static class FusionBenchmark
{
    private const int Depth = 100;

    public static async Task RunAsync(string[] args)
    {
        var quantized = BenchArgs.String(args, "--quantized") ?? "true";
        var folder = BenchArgs.String(args, "--dataset") ?? Path.Combine(AppContext.BaseDirectory, "data", "scifact");
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        var app = BenchHost.Build(new Dictionary<string, string?> { ["Query:AnswerCacheEntries"] = "0", ["Embedding:Quantized"] = quantized, ["Ingestion:MaxDocumentBytes"] = "2097152" });
        await app.StartAsync();
        var rag = BenchHost.Client(app);
        await rag.CreateCollectionAsync("fusion", new CollectionSettings(ChunkTokens: 0));
        var documents = File.ReadLines(Path.Combine(folder, "corpus.jsonl")).Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement)
            .Select(e => (e.GetProperty("_id").GetString()!, e.GetProperty("title").GetString()!, e.GetProperty("text").GetString()!)).ToList();
        var ingest = System.Diagnostics.Stopwatch.StartNew();
        await SciFact.IngestAsync(rag, "fusion", documents);
        Console.WriteLine($"OrleansRag fusion: {name}, {documents.Count} documents ingested in {ingest.Elapsed.TotalSeconds:F0} s (int8 {quantized}), depth {Depth}");

        // Graded judgments (query -> document -> grade > 0), as BEIR's qrels/test.tsv has them.
        var relevant = File.ReadLines(Path.Combine(folder, "qrels", "test.tsv")).Skip(1).Select(line => line.Split('\t'))
            .Where(parts => int.Parse(parts[2], CultureInfo.InvariantCulture) > 0)
            .GroupBy(parts => parts[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToDictionary(parts => parts[1], parts => int.Parse(parts[2], CultureInfo.InvariantCulture), StringComparer.Ordinal), StringComparer.Ordinal);
        var queries = File.ReadLines(Path.Combine(folder, "queries.jsonl")).Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement)
            .Select(e => (Id: e.GetProperty("_id").GetString()!, Text: e.GetProperty("text").GetString()!)).Where(q => relevant.ContainsKey(q.Id)).ToList();
        var runs = new List<(Dictionary<string, int> Relevant, SearchHit[] Dense, SearchHit[] Bm25)>();
        foreach (var (id, text) in queries)
        {
            var dense = await rag.SearchAsync("fusion", text, new SearchOptions(Depth, SearchMode.Dense, PerDocument: true));
            var bm25 = await rag.SearchAsync("fusion", text, new SearchOptions(Depth, SearchMode.Bm25, PerDocument: true));
            var hybrid = await rag.SearchAsync("fusion", text, new SearchOptions(10, SearchMode.Hybrid, PerDocument: true));
            var rrf = await rag.SearchAsync("fusion", text, new SearchOptions(10, SearchMode.Hybrid, PerDocument: true, Fusion: SearchFusion.Rrf));
            runs.Add((relevant[id], [.. dense!.Hits], [.. bm25!.Hits]));
            _served.Add(Ndcg10(relevant[id], [.. hybrid!.Hits.Select(h => h.DocumentId)]));
            _servedRrf.Add(Ndcg10(relevant[id], [.. rrf!.Hits.Select(h => h.DocumentId)]));
        }

        Console.WriteLine($"{queries.Count} test queries");
        Report("dense", runs, r => r.Dense.Select(h => h.DocumentId));
        Report("bm25", runs, r => r.Bm25.Select(h => h.DocumentId));
        Console.WriteLine($"{"hybrid as served (score fusion, the default)",-44} nDCG@10 {_served.Average():F4}");
        Console.WriteLine($"{"hybrid as served with fusion rrf (k=60)",-44} nDCG@10 {_servedRrf.Average():F4}");
        foreach (var k in new[] { 5, 10, 20, 30, 60, 100 })
        {
            Report($"RRF k={k}", runs, r => Rrf(r.Dense, r.Bm25, k, 0.5));
        }

        foreach (var w in new[] { 0.3, 0.4, 0.6, 0.7 })
        {
            Report($"weighted RRF k=60 dense weight {w:F1}", runs, r => Rrf(r.Dense, r.Bm25, 60, w));
        }

        foreach (var a in new[] { 0.3, 0.4, 0.5, 0.6, 0.7, 0.8 })
        {
            Report($"convex min-max, dense weight {a:F1}", runs, r => Convex(r.Dense, r.Bm25, a, MinMax));
        }

        foreach (var a in new[] { 0.3, 0.4, 0.5, 0.6, 0.7 })
        {
            Report($"convex z-score, dense weight {a:F1}", runs, r => Convex(r.Dense, r.Bm25, a, ZScore));
        }

        await app.StopAsync();
    }

    private static readonly List<double> _served = [];
    private static readonly List<double> _servedRrf = [];

    private static void Report(string name, List<(Dictionary<string, int> Relevant, SearchHit[] Dense, SearchHit[] Bm25)> runs, Func<(Dictionary<string, int> Relevant, SearchHit[] Dense, SearchHit[] Bm25), IEnumerable<string>> rank) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-44} nDCG@10 {runs.Average(r => Ndcg10(r.Relevant, [.. rank(r).Take(10)])):F4}"));

    private static IEnumerable<string> Rrf(SearchHit[] dense, SearchHit[] bm25, int k, double denseWeight)
    {
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < dense.Length; i++)
        {
            scores[dense[i].DocumentId] = scores.GetValueOrDefault(dense[i].DocumentId) + (2 * denseWeight / (k + i + 1));
        }

        for (var i = 0; i < bm25.Length; i++)
        {
            scores[bm25[i].DocumentId] = scores.GetValueOrDefault(bm25[i].DocumentId) + (2 * (1 - denseWeight) / (k + i + 1));
        }

        return scores.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key);
    }

    private static IEnumerable<string> Convex(SearchHit[] dense, SearchHit[] bm25, double denseWeight, Func<SearchHit[], Dictionary<string, double>> normalise)
    {
        var d = normalise(dense);
        var b = normalise(bm25);
        var floorD = d.Count > 0 ? d.Values.Min() : 0;
        var floorB = b.Count > 0 ? b.Values.Min() : 0;
        return d.Keys.Union(b.Keys)
            .Select(id => (id, score: (denseWeight * d.GetValueOrDefault(id, floorD)) + ((1 - denseWeight) * b.GetValueOrDefault(id, floorB))))
            .OrderByDescending(p => p.score).ThenBy(p => p.id, StringComparer.Ordinal).Select(p => p.id);
    }

    private static Dictionary<string, double> MinMax(SearchHit[] hits)
    {
        if (hits.Length == 0)
        {
            return [];
        }

        var (min, max) = (hits.Min(h => (double)h.Score), hits.Max(h => (double)h.Score));
        return hits.ToDictionary(h => h.DocumentId, h => max > min ? (h.Score - min) / (max - min) : 1.0, StringComparer.Ordinal);
    }

    private static Dictionary<string, double> ZScore(SearchHit[] hits)
    {
        if (hits.Length == 0)
        {
            return [];
        }

        var mean = hits.Average(h => (double)h.Score);
        var sd = Math.Sqrt(hits.Average(h => Math.Pow(h.Score - mean, 2)));
        return hits.ToDictionary(h => h.DocumentId, h => sd > 0 ? (h.Score - mean) / sd : 0.0, StringComparer.Ordinal);
    }

    /// <summary>nDCG@10 with the grade as the gain (as pytrec_eval, which BEIR uses, computes it).</summary>
    private static double Ndcg10(Dictionary<string, int> relevant, IReadOnlyList<string> ranking)
    {
        var dcg = ranking.Take(10).Select((id, i) => relevant.GetValueOrDefault(id) / Math.Log2(i + 2)).Sum();
        var ideal = relevant.Values.OrderDescending().Take(10).Select((grade, i) => grade / Math.Log2(i + 2)).Sum();
        return ideal > 0 ? dcg / ideal : 0;
    }
}
