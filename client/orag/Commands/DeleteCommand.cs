using System.Globalization;
using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace OrleansRag.Cli.Commands;

public sealed class DeleteCommand : AsyncCommand<DeleteCommand.Settings>
{
    public sealed class Settings : RagSettings
    {
        [CommandArgument(0, "<ID>")]
        [Description("Document id.")]
        public string Id { get; init; } = "";
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var client = settings.CreateClient();
        await client.DeleteAsync(settings.Collection!, settings.Id, cancellationToken);
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"Deleted '{settings.Id}' from '{settings.Collection}'.");
        return 0;
    }
}
