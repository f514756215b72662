using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;

namespace OrleansRag.Cli.Commands;

public sealed class AskCommand : AsyncCommand<QuerySettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, QuerySettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var client = settings.CreateClient();
        var response = await client.AskAsync(settings.Collection!, settings.Text, settings.TopK, settings.ParsedMode, cancellationToken, settings.FilterJson);

        AnsiConsole.WriteLine(response.Answer);
        if (response.Citations.Count > 0)
        {
            AnsiConsole.WriteLine();
            AnsiConsole.MarkupLine("[bold]Sources[/]");
            foreach (var citation in response.Citations)
            {
                AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                    $"  [bold][[{citation.N}]][/] {citation.Title} [grey]({citation.DocumentId}, chunk {citation.ChunkIndex}, score {citation.Score.ToString("F3", CultureInfo.InvariantCulture)})[/]");
                AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"      [grey]{citation.Snippet}[/]");
            }
        }

        var t = response.Timings;
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"[grey]embed {t.EmbedMs:F0} ms, retrieve {t.RetrieveMs:F0} ms, generate {t.GenerateMs:F0} ms, total {t.TotalMs:F0} ms{(response.Cached ? " (cached)" : "")}[/]");
        return 0;
    }
}
