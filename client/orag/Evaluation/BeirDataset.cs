using System.Globalization;
using System.Text.Json;

namespace OrleansRag.Cli.Evaluation;

/// <summary>A BEIR-layout test collection: corpus.jsonl, queries.jsonl, qrels/test.tsv.</summary>
public sealed record BeirDataset(
    IReadOnlyList<BeirDocument> Corpus,
    IReadOnlyDictionary<string, string> Queries,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Qrels)
{
    /// <summary>Loads a dataset folder; only queries that have relevance judgements are kept.</summary>
    public static BeirDataset Load(string folder, string split = "test")
    {
        var corpusPath = Path.Combine(folder, "corpus.jsonl");
        var queriesPath = Path.Combine(folder, "queries.jsonl");
        var qrelsPath = Path.Combine(folder, "qrels", split + ".tsv");
        foreach (var path in new[] { corpusPath, queriesPath, qrelsPath })
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"'{folder}' is not a BEIR dataset folder: {path} is missing.", path);
            }
        }

        var corpus = File.ReadLines(corpusPath).Where(l => l.Length > 0).Select(line =>
        {
            var e = JsonDocument.Parse(line).RootElement;
            return new BeirDocument(e.GetProperty("_id").GetString()!, e.TryGetProperty("title", out var t) ? t.GetString() ?? "" : "", e.GetProperty("text").GetString() ?? "");
        }).ToList();

        var qrels = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(qrelsPath).Skip(1).Where(l => l.Length > 0))
        {
            var parts = line.Split('\t');
            if (!qrels.TryGetValue(parts[0], out var judged))
            {
                qrels[parts[0]] = judged = new Dictionary<string, int>(StringComparer.Ordinal);
            }

            judged[parts[1]] = int.Parse(parts[2], CultureInfo.InvariantCulture);
        }

        var queries = File.ReadLines(queriesPath).Where(l => l.Length > 0)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(e => (Id: e.GetProperty("_id").GetString()!, Text: e.GetProperty("text").GetString()!))
            .Where(q => qrels.ContainsKey(q.Id))
            .ToDictionary(q => q.Id, q => q.Text, StringComparer.Ordinal);

        return new BeirDataset(corpus, queries, qrels.ToDictionary(p => p.Key, p => (IReadOnlyDictionary<string, int>)p.Value, StringComparer.Ordinal));
    }
}

public sealed record BeirDocument(string Id, string Title, string Text);
