using System.Globalization;
using System.Text;
using System.Text.Json;

namespace OrleansRag.Cli.Evaluation;

/// <summary>
/// A query log's rated answers as a BEIR-layout test set (what <c>orag eval</c> reads): each question answered and rated
/// up is a query (its standalone rewrite when it was a follow-up; the same question asked again, in any case or spacing,
/// is one query), and the documents its up-rated answers cited are its relevant documents (relevance 1). A question
/// rated up once and down another time keeps only the citations of the answers rated up.
/// </summary>
public static class QueryLogExport
{
    /// <summary>The queries (id → text) and their judged documents, in the order the questions were first asked.</summary>
    public static (IReadOnlyList<(string Id, string Text)> Queries, IReadOnlyDictionary<string, IReadOnlyList<string>> Qrels) Judge(IEnumerable<QueryLogEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var byText = new Dictionary<string, (string Text, DateTimeOffset First, SortedSet<string> Documents)>(StringComparer.Ordinal);
        foreach (var entry in entries.Where(e => e.Feedback?.Rating == AnswerRating.Up && e.Citations.Count > 0))
        {
            var text = string.Join(' ', (entry.RewrittenQuestion ?? entry.Question).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            var key = text.ToLowerInvariant();
            if (!byText.TryGetValue(key, out var judged))
            {
                byText[key] = judged = (text, entry.At, new SortedSet<string>(StringComparer.Ordinal));
            }

            judged.Documents.UnionWith(entry.Citations.Select(c => c.DocumentId));
            if (entry.At < judged.First)
            {
                byText[key] = judged with { First = entry.At };
            }
        }

        var ordered = byText.Values.OrderBy(q => q.First).ThenBy(q => q.Text, StringComparer.Ordinal)
            .Select((q, i) => (Id: "q" + (i + 1).ToString(CultureInfo.InvariantCulture), q.Text, q.Documents)).ToList();
        return ([.. ordered.Select(q => (q.Id, q.Text))],
            ordered.ToDictionary(q => q.Id, q => (IReadOnlyList<string>)[.. q.Documents], StringComparer.Ordinal));
    }

    /// <summary>Writes corpus.jsonl, queries.jsonl and qrels/test.tsv under <paramref name="folder"/>.</summary>
    public static async Task WriteAsync(string folder, IEnumerable<BeirDocument> corpus, IReadOnlyList<(string Id, string Text)> queries,
        IReadOnlyDictionary<string, IReadOnlyList<string>> qrels, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(qrels);
        Directory.CreateDirectory(Path.Combine(folder, "qrels"));
        await File.WriteAllLinesAsync(Path.Combine(folder, "corpus.jsonl"),
            corpus.Select(d => JsonSerializer.Serialize(new Dictionary<string, string> { ["_id"] = d.Id, ["title"] = d.Title, ["text"] = d.Text })), cancellationToken);
        await File.WriteAllLinesAsync(Path.Combine(folder, "queries.jsonl"),
            queries.Select(q => JsonSerializer.Serialize(new Dictionary<string, string> { ["_id"] = q.Id, ["text"] = q.Text })), cancellationToken);
        var tsv = new StringBuilder("query-id\tcorpus-id\tscore\n");
        foreach (var (id, _) in queries)
        {
            foreach (var document in qrels[id])
            {
                tsv.Append(CultureInfo.InvariantCulture, $"{id}\t{document}\t1\n");
            }
        }

        await File.WriteAllTextAsync(Path.Combine(folder, "qrels", "test.tsv"), tsv.ToString(), cancellationToken);
    }
}
