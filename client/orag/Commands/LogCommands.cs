using System.ComponentModel;
using System.Globalization;
using OrleansRag.Cli.Evaluation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace OrleansRag.Cli.Commands;

/// <summary><c>orag log show</c>: the newest entries of a collection's query log (admin).</summary>
public sealed class LogShowCommand : AsyncCommand<LogShowCommand.Settings>
{
    public sealed class Settings : RagSettings
    {
        [CommandOption("-n|--limit <N>")]
        [Description("Entries to show (default 20, at most 500).")]
        public int Limit { get; init; } = 20;

        [CommandOption("--rating <up|down>")]
        [Description("Only answers rated up, or only those rated down.")]
        public string? Rating { get; init; }

        public override ValidationResult Validate() =>
            Limit is < 1 or > QueryLogQuery.MaxLimit ? ValidationResult.Error($"--limit must be from 1 to {QueryLogQuery.MaxLimit}.")
            : Rating is not (null or "up" or "down") ? ValidationResult.Error("--rating must be up or down.")
            : base.Validate();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var client = settings.CreateClient();
        var rating = settings.Rating switch { "up" => AnswerRating.Up, "down" => (AnswerRating?)AnswerRating.Down, _ => null };
        var page = await client.GetQueryLogAsync(settings.Collection!, null, settings.Limit, rating, cancellationToken);
        var table = new Table().AddColumns("at", "answer id", "question", "cited", "ms", "rating");
        foreach (var entry in page.Entries)
        {
            // What readers typed reaches an admin's terminal: control characters (escape sequences) are shown, not sent.
            table.AddRow(
                new Text(entry.At.ToString("u", CultureInfo.InvariantCulture)), new Text(entry.AnswerId),
                new Text(Printable(entry.RewrittenQuestion is { } rewritten ? $"{entry.Question} → {rewritten}" : entry.Question)),
                new Text(Printable(entry.NoAnswer ? "no answer" : string.Join(", ", entry.Citations.Select(c => c.DocumentId).Distinct()))),
                new Text(entry.Timings.TotalMs.ToString("F0", CultureInfo.InvariantCulture) + (entry.Cached ? " (cached)" : "")),
                new Text(Printable(entry.Feedback is { } feedback ? $"{(feedback.Rating == AnswerRating.Up ? "up" : "down")}{(feedback.Comment is { } c ? ": " + c : "")}" : "")));
        }

        AnsiConsole.Write(table);
        return 0;
    }

    private static string Printable(string text) => string.Create(text.Length, text, static (span, source) =>
    {
        for (var i = 0; i < source.Length; i++)
        {
            span[i] = char.IsControl(source[i]) ? '\uFFFD' : source[i];
        }
    });
}

/// <summary>
/// <c>orag log export</c>: the questions whose answers were rated up, and the documents those answers cited, as a
/// BEIR-layout set (corpus.jsonl, queries.jsonl, qrels/test.tsv) that <c>orag eval</c> reads. The corpus is every
/// document of the collection (its chunks' text), or with <c>--cited-only</c> the cited ones.
/// </summary>
public sealed class LogExportCommand : AsyncCommand<LogExportCommand.Settings>
{
    private const int PageSize = QueryLogQuery.MaxLimit;

    public sealed class Settings : RagSettings
    {
        [CommandOption("-o|--output <DIR>")]
        [Description("Folder to write the set to (made if missing; files in it are replaced).")]
        public string? Output { get; init; }

        [CommandOption("--cited-only")]
        [Description("Put only the cited documents in the corpus (default: every document of the collection).")]
        public bool CitedOnly { get; init; }

        public override ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Output) ? ValidationResult.Error("--output <DIR> is required.") : base.Validate();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var client = settings.CreateClient();
        var collection = settings.Collection!;
        var rated = new List<QueryLogEntry>();
        string? before = null;
        do
        {
            var page = await client.GetQueryLogAsync(collection, before, PageSize, AnswerRating.Up, cancellationToken);
            rated.AddRange(page.Entries);
            before = page.Next;
        }
        while (before is not null);

        var (queries, qrels) = QueryLogExport.Judge(rated);
        if (queries.Count == 0)
        {
            await Console.Error.WriteLineAsync($"error: the query log of '{collection}' holds no answer rated up that cites a document; there is nothing to export.");
            return 1;
        }

        var cited = qrels.Values.SelectMany(d => d).ToHashSet(StringComparer.Ordinal);
        var documents = (await client.ListAsync(collection, cancellationToken)).Documents
            .Where(d => !settings.CitedOnly || cited.Contains(d.Id)).ToList();
        var corpus = new List<BeirDocument>(documents.Count);
        foreach (var document in documents)
        {
            corpus.Add(new BeirDocument(document.Id, document.Title, await TextAsync(client, collection, document.Id, cancellationToken)));
        }

        // A cited document deleted since has no text to judge against: its judgements go.
        var held = corpus.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var kept = qrels.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)[.. p.Value.Where(held.Contains)], StringComparer.Ordinal);
        var judged = queries.Where(q => kept[q.Id].Count > 0).ToList();
        await QueryLogExport.WriteAsync(settings.Output!, corpus, judged, kept, cancellationToken);
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"Wrote {settings.Output}: {judged.Count} queries from {rated.Count} answers rated up, {kept.Values.Sum(d => d.Count)} judgements, {corpus.Count} documents. Evaluate with: orag eval --dataset {settings.Output} --collection <new collection>");
        return 0;
    }

    /// <summary>A document's text: its chunks in order.</summary>
    private static async Task<string> TextAsync(RagHttpClient client, string collection, string documentId, CancellationToken cancellationToken)
    {
        var parts = new List<string>();
        int? offset = 0;
        while (offset is { } from)
        {
            var page = await client.GetChunksAsync(collection, documentId, from, 1000, cancellationToken);
            parts.AddRange(page.Chunks.Select(c => c.Text));
            offset = page.NextOffset;
        }

        return string.Join("\n\n", parts);
    }
}
