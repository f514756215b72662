using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;

namespace OrleansRag.Cli.Commands;

/// <summary><c>orag export</c>: a collection's archive into a file, with the bytes received shown as they come.</summary>
public sealed class ExportCommand : AsyncCommand<ExportCommand.Settings>
{
    public sealed class Settings : RagSettings
    {
        [CommandOption("-o|--output <FILE>")]
        [Description("Archive file to write (default: <collection>.orleansrag.tar.gz).")]
        public string? Output { get; init; }

        [CommandOption("--sources")]
        [Description("Include the documents' original files.")]
        public bool Sources { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var client = settings.CreateClient();
        var output = settings.Output ?? $"{settings.Collection}.orleansrag.tar.gz";
        var partial = output + ".partial";
        long bytes = 0;
        try
        {
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await AnsiConsole.Progress().AutoClear(false).HideCompleted(false)
                    .Columns(new TaskDescriptionColumn(), new SpinnerColumn(), new ElapsedTimeColumn())
                    .StartAsync(async progress =>
                    {
                        var task = progress.AddTask($"exporting '{settings.Collection}'").IsIndeterminate();
                        bytes = await client.ExportAsync(settings.Collection!, settings.Sources, file, received =>
                            task.Description = string.Create(CultureInfo.InvariantCulture, $"exporting '{settings.Collection}': {received / 1048576.0:F1} MB"), cancellationToken);
                        task.Description = string.Create(CultureInfo.InvariantCulture, $"exported '{settings.Collection}': {bytes / 1048576.0:F1} MB");
                        task.StopTask();
                    });
            }

            File.Move(partial, output, overwrite: true); // only a whole archive gets the name
        }
        finally
        {
            File.Delete(partial);
        }

        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"Wrote {output} ({bytes} bytes). Restore it with: orag import {output} --collection <name>");
        return 0;
    }
}

/// <summary><c>orag import</c>: an archive file into a collection, with a progress bar of the bytes sent.</summary>
public sealed class ImportCommand : AsyncCommand<ImportCommand.Settings>
{
    public sealed class Settings : RagSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("Archive made by orag export (or GET /v1/collections/{c}/export).")]
        public string File { get; init; } = "";

        [CommandOption("--replace")]
        [Description("Delete the collection's documents first (an import into a collection with documents is refused otherwise).")]
        public bool Replace { get; init; }

        public override ValidationResult Validate() =>
            !System.IO.File.Exists(File) ? ValidationResult.Error($"'{File}' does not exist.") : base.Validate();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var client = settings.CreateClient();
        var length = new FileInfo(settings.File).Length;
        System.Text.Json.JsonElement summary = default;
        await AnsiConsole.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new ElapsedTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask($"importing into '{settings.Collection}'", maxValue: Math.Max(1, length));
                summary = await client.ImportAsync(settings.Collection!, settings.File, settings.Replace, sent => task.Value = sent, cancellationToken);
                task.Value = task.MaxValue;
                task.StopTask();
            });

        int Count(string name) => summary.GetProperty(name).GetInt32();
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"Imported {Count("documents")} documents ({summary.GetProperty("chunks").GetInt64()} chunks, {Count("originals")} originals) into '{settings.Collection}'{(summary.GetProperty("created").GetBoolean() ? " (created)" : "")}.");
        if (Count("reembedding") > 0)
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                $"{Count("reembedding")} documents are embedded again in the background with '{summary.GetProperty("embeddingModel").GetString()}' (the archive's model differs): orag list --collection {settings.Collection} shows when they are ready.");
        }

        if (Count("skipped") > 0)
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"{Count("skipped")} documents had no ready version in the archive and were skipped.");
        }

        return 0;
    }
}
