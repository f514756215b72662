using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;

namespace OrleansRag.Cli.Commands;

public sealed class ListCommand : AsyncCommand<RagSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, RagSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var client = settings.CreateClient();
        var list = await client.ListAsync(settings.Collection!, cancellationToken);
        var table = new Table().AddColumns("id", "title", "type", "chunks", "updated");
        foreach (var document in list.Documents)
        {
            table.AddRow(
                new Text(document.Id), new Text(document.Title), new Text(document.ContentType),
                new Text(document.ChunkCount.ToString(CultureInfo.InvariantCulture)),
                new Text(document.UpdatedAt.ToString("u", CultureInfo.InvariantCulture)));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[grey]{list.Count} documents in '{list.Collection}'[/]");
        return 0;
    }
}
