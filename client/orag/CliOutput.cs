using System.Globalization;
using Spectre.Console;

namespace OrleansRag.Cli;

internal static class CliOutput
{
    /// <summary>Prints a streamed answer as it arrives and returns the final response (an Error event throws).</summary>
    public static async Task<AskResponse> StreamAnswerAsync(IAsyncEnumerable<AskStreamEvent> events, CancellationToken cancellationToken)
    {
        AskResponse? final = null;
        await foreach (var item in events.WithCancellation(cancellationToken))
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
        return final ?? throw new RagApiException("the answer stream ended without a final event");
    }

    /// <summary>What follows an answer's text: degraded, the question it was answered as, the sources (with snippets unless brief), timings.</summary>
    public static void PrintAnswerDetails(AskResponse response, bool brief = false)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Degraded)
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[yellow](degraded: {response.DegradedReason})[/]");
        }

        if (response.StandaloneQuestion is { } standalone)
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[grey](answered as: {standalone})[/]");
        }

        if (response.Citations.Count > 0)
        {
            if (!brief)
            {
                AnsiConsole.WriteLine();
            }

            AnsiConsole.MarkupLine("[bold]Sources[/]");
            foreach (var citation in response.Citations)
            {
                var page = citation.Page is { } p ? $", page {p}" : "";
                AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                    $"  [bold][[{citation.N}]][/] {citation.Title}{page} [grey]({citation.DocumentId}, chunk {citation.ChunkIndex}, score {citation.Score.ToString("F3", CultureInfo.InvariantCulture)})[/]");
                if (!brief)
                {
                    AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"      [grey]{citation.Snippet}[/]");
                }
            }
        }

        var t = response.Timings;
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"[grey]embed {t.EmbedMs:F0} ms, retrieve {t.RetrieveMs:F0} ms, generate {t.GenerateMs:F0} ms, total {t.TotalMs:F0} ms{(response.Cached ? " (cached)" : "")}[/]");
        if (response.AnswerId is { } answerId)
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[grey]answer {answerId} (rate it: orag rate {answerId} up|down)[/]");
        }
    }

    /// <summary>Prints an error without a stack trace and returns the exit code.</summary>
    public static int Fail(Exception exception)
    {
        var message = exception switch
        {
            RagApiException api => api.Message,
            Spectre.Console.Cli.CommandAppException app => app.Message,
            OperationCanceledException => "cancelled",
            _ => exception.Message,
        };
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[red]error:[/] {message}");
        return exception is Spectre.Console.Cli.CommandAppException ? 2 : 1;
    }
}
