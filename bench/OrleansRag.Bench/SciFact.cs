using System.Text.Json;

namespace OrleansRag.Bench;

/// <summary>The SciFact corpus and queries copied next to the benchmark (tests/data/scifact).</summary>
internal static class SciFact
{
    public static List<(string Id, string Title, string Text)> Documents(int count) =>
        [.. File.ReadLines(Path.Combine(AppContext.BaseDirectory, "data", "scifact", "corpus.jsonl")).Take(count)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(e => (e.GetProperty("_id").GetString()!, e.GetProperty("title").GetString()!, e.GetProperty("text").GetString()!))];

    public static List<string> Queries(int count) =>
        [.. File.ReadLines(Path.Combine(AppContext.BaseDirectory, "data", "scifact", "queries.jsonl")).Take(count)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()!)];
}
