using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;

namespace OrleansRag.Cli.Commands;

/// <summary>orag ask: prints the answer as it is generated, then its sources and timings.</summary>
public sealed class AskCommand : AsyncCommand<AskCommand.Settings>
{
    public sealed class Settings : QuerySettings
    {
        [CommandOption("--no-stream")]
        [Description("Wait for the whole answer instead of printing it as it is generated.")]
        public bool NoStream { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var client = settings.CreateClient();
        AskResponse response;
        if (settings.NoStream)
        {
            response = await client.AskAsync(settings.Collection!, settings.Text, settings.TopK, settings.ParsedMode, cancellationToken, settings.FilterJson);
            AnsiConsole.WriteLine(response.Answer);
        }
        else
        {
            AskResponse? final = null;
            await foreach (var item in client.AskStreamAsync(settings.Collection!, settings.Text, settings.TopK, settings.ParsedMode, settings.FilterJson, cancellationToken))
            {
                switch (item.Kind)
                {
                    case AskStreamEventKind.Token:
                        AnsiConsole.Write(new Text(item.Text ?? ""));
                        break;
                    case AskStreamEventKind.Done:
                        final = item.Response;
                        break;
                    default:
                        AnsiConsole.WriteLine();
                        throw new RagApiException(item.Error ?? "the answer stream failed");
                }
            }

            AnsiConsole.WriteLine();
            response = final ?? throw new RagApiException("the answer stream ended without a final event");
        }

        if (response.Degraded)
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[yellow](degraded: {response.DegradedReason})[/]");
        }

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
