using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace OrleansRag.Cli.Commands;

/// <summary><c>orag rate &lt;answerId&gt; up|down</c>: feedback on an answer, as the web page's thumbs give it.</summary>
public sealed class RateCommand : AsyncCommand<RateCommand.Settings>
{
    public sealed class Settings : RagSettings
    {
        [CommandArgument(0, "<ANSWER_ID>")]
        [Description("The answer id that ask printed.")]
        public string AnswerId { get; init; } = "";

        [CommandArgument(1, "<RATING>")]
        [Description("up or down.")]
        public string Rating { get; init; } = "";

        [CommandOption("--comment <TEXT>")]
        [Description("What was right or wrong with the answer.")]
        public string? Comment { get; init; }

        public override ValidationResult Validate() =>
            Rating is not ("up" or "down") ? ValidationResult.Error($"The rating must be up or down; it was '{Rating}'.")
            : RagValidation.CheckAnswerId(AnswerId) is { } problem ? ValidationResult.Error(problem)
            : RagValidation.CheckFeedbackComment(Comment) is { } commentProblem ? ValidationResult.Error(commentProblem)
            : base.Validate();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var client = settings.CreateClient();
        await client.RateAnswerAsync(settings.Collection!, settings.AnswerId, settings.Rating == "up" ? AnswerRating.Up : AnswerRating.Down, settings.Comment, cancellationToken);
        AnsiConsole.MarkupLine("Thanks: the rating is in the query log.");
        return 0;
    }
}
