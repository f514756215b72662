using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;

namespace OrleansRag.Cli.Commands;

public sealed class SearchCommand : AsyncCommand<QuerySettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, QuerySettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var client = settings.CreateClient();
        var response = await client.SearchAsync(settings.Collection!, settings.Text, new SearchOptions(settings.TopK, settings.ParsedMode ?? SearchMode.Dense, settings.PerDocument, Rerank: settings.ParsedRerank), cancellationToken, settings.FilterJson);
        if (response.Hits.Count == 0)
        {
            AnsiConsole.WriteLine("No results.");
            return 0;
        }

        var table = new Table().AddColumns("#", "score", "document", "title", "text");
        var rank = 1;
        foreach (var hit in response.Hits)
        {
            var text = hit.Text.Length > 160 ? hit.Text[..160] + "…" : hit.Text;
            table.AddRow(
                new Text((rank++).ToString(CultureInfo.InvariantCulture)),
                new Text(hit.Score.ToString("F3", CultureInfo.InvariantCulture)),
                new Text($"{hit.DocumentId} #{hit.ChunkIndex}"),
                new Text(hit.Title),
                new Text(text.ReplaceLineEndings(" ")));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[grey]{response.Hits.Count} results in {response.Timings.TotalMs:F0} ms[/]");
        return 0;
    }
}
