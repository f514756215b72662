using System.ComponentModel;
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
            response = await client.AskAsync(settings.Collection!, settings.Text, settings.TopK, settings.ParsedMode, cancellationToken, settings.FilterJson, settings.ParsedRerank);
            AnsiConsole.WriteLine(response.Answer);
        }
        else
        {
            response = await CliOutput.StreamAnswerAsync(
                client.AskStreamAsync(settings.Collection!, settings.Text, settings.TopK, settings.ParsedMode, settings.FilterJson, cancellationToken, settings.ParsedRerank), cancellationToken);
        }

        CliOutput.PrintAnswerDetails(response);
        return 0;
    }
}
