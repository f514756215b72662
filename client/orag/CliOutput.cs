using System.Globalization;
using Spectre.Console;

namespace OrleansRag.Cli;

internal static class CliOutput
{
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
