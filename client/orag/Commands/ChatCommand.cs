using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;

namespace OrleansRag.Cli.Commands;

/// <summary>
/// orag chat: an interactive conversation with a collection. Each line read is a question, answered as it is generated
/// with the earlier turns as context (the cluster keeps them), then its sources. /new starts a new conversation,
/// /history prints the turns, /exit (or end of input) quits. Reads standard input line by line, so it works in a
/// terminal and from a pipe.
/// </summary>
public sealed class ChatCommand : AsyncCommand<ChatCommand.Settings>
{
    public sealed class Settings : RankingSettings
    {
        [CommandOption("--conversation <ID>")]
        [Description("Continue this conversation (its id, as printed when it started) instead of starting a new one.")]
        public string? Conversation { get; init; }

        public override ValidationResult Validate() =>
            Conversation is not null && RagValidation.CheckId("--conversation", Conversation) is { } problem ? ValidationResult.Error(problem) : base.Validate();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var client = settings.CreateClient();
        var collection = settings.Collection!;
        string id;
        if (settings.Conversation is { } existing)
        {
            var conversation = await client.GetConversationAsync(collection, existing, cancellationToken);
            id = conversation.Id;
            PrintHistory(conversation);
        }
        else
        {
            id = (await client.CreateConversationAsync(collection, cancellationToken)).Id;
        }

        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"[grey]Conversation {id} with '{collection}'. Ask a question; follow-ups may refer to earlier answers. /new starts over, /history shows the turns, /exit quits.[/]");
        while (true)
        {
            AnsiConsole.Markup("[bold]> [/]");
            var line = await Console.In.ReadLineAsync(cancellationToken);
            if (line is null)
            {
                AnsiConsole.WriteLine();
                return 0;
            }

            var question = line.Trim();
            switch (question)
            {
                case "":
                    continue;
                case "/exit" or "/quit":
                    return 0;
                case "/new":
                    id = (await client.CreateConversationAsync(collection, cancellationToken)).Id;
                    AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[grey]New conversation {id}.[/]");
                    continue;
                case "/history":
                    PrintHistory(await client.GetConversationAsync(collection, id, cancellationToken));
                    continue;
            }

            if (RagValidation.CheckQuery("the question", question) is { } problem)
            {
                AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[red]error:[/] {problem}");
                continue;
            }

            try
            {
                var response = await CliOutput.StreamAnswerAsync(
                    client.SendMessageStreamAsync(collection, id, question, settings.TopK, settings.ParsedMode, settings.FilterJson, cancellationToken, settings.ParsedRerank),
                    cancellationToken);
                CliOutput.PrintAnswerDetails(response, brief: true);
            }
            catch (RagApiException exception) when (exception.Status is not null)
            {
                // The service answered (an expired conversation, a limit): say so and keep the session.
                AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[red]error:[/] {exception.Message}");
            }
        }
    }

    private static void PrintHistory(Conversation conversation)
    {
        foreach (var turn in conversation.Turns)
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[bold]{turn.N}> {turn.Question}[/]");
            AnsiConsole.WriteLine(turn.Answer);
        }
    }
}
