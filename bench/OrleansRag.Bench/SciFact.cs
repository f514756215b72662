using System.Text.Json;
using OrleansRag.Client;

namespace OrleansRag.Bench;

/// <summary>The SciFact corpus and queries copied next to the benchmark (tests/data/scifact).</summary>
internal static class SciFact
{
    public static List<(string Id, string Title, string Text)> Documents(int count) =>
        [.. File.ReadLines(Path.Combine(AppContext.BaseDirectory, "data", "scifact", "corpus.jsonl")).Take(count)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(e => (e.GetProperty("_id").GetString()!, e.GetProperty("title").GetString()!, e.GetProperty("text").GetString()!))];

    /// <summary>Relevant corpus ids per query id (train and test qrels).</summary>
    public static Dictionary<string, HashSet<string>> Relevant() =>
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "data", "scifact", "qrels"), "*.tsv")
            .SelectMany(file => File.ReadLines(file).Skip(1))
            .Select(line => line.Split('\t'))
            .GroupBy(parts => parts[0], parts => parts[1])
            .ToDictionary(g => g.Key, g => g.ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>Relevant corpus ids per query id of one qrels file ("test.tsv" or "train.tsv").</summary>
    public static Dictionary<string, HashSet<string>> RelevantIn(string file) =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "data", "scifact", "qrels", file)).Skip(1)
            .Select(line => line.Split('\t'))
            .GroupBy(parts => parts[0], parts => parts[1])
            .ToDictionary(g => g.Key, g => g.ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>The first <paramref name="count"/> queries with their ids.</summary>
    public static List<(string Id, string Text)> QueriesWithIds(int count) =>
        [.. File.ReadLines(Path.Combine(AppContext.BaseDirectory, "data", "scifact", "queries.jsonl")).Take(count)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(e => (e.GetProperty("_id").GetString()!, e.GetProperty("text").GetString()!))];

    public static List<string> Queries(int count) =>
        [.. File.ReadLines(Path.Combine(AppContext.BaseDirectory, "data", "scifact", "queries.jsonl")).Take(count)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()!)];

    /// <summary>Ingests <paramref name="documents"/> into <paramref name="collection"/>, 8 in flight; returns the chunk count.</summary>
    public static async Task<int> IngestAsync(IRagClient rag, string collection, IEnumerable<(string Id, string Title, string Text)> documents)
    {
        var chunks = 0;
        await Parallel.ForEachAsync(documents, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (d, token) =>
        {
            var result = await rag.IngestAsync(collection, d.Id, new DocumentInput(d.Text, d.Title), token);
            Interlocked.Add(ref chunks, result.ChunkCount);
        });
        return chunks;
    }
}
