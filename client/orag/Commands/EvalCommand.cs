using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using OrleansRag.Cli.Evaluation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace OrleansRag.Cli.Commands;

/// <summary>
/// orag eval --dataset DIR: ingests a BEIR dataset through the cluster and prints nDCG@10, Recall@10,
/// Recall@100, MRR@10 and query latency for each ranking mode.
/// </summary>
public sealed class EvalCommand : AsyncCommand<EvalCommand.Settings>
{
    public sealed class Settings : RagSettings
    {
        [CommandOption("-d|--dataset <DIR>")]
        [Description("BEIR folder: corpus.jsonl, queries.jsonl, qrels/test.tsv.")]
        public string Dataset { get; init; } = "";

        [CommandOption("--mode <MODES>")]
        [Description("dense, bm25, hybrid, or a comma-separated list (default: all three).")]
        public string Modes { get; init; } = "dense,bm25,hybrid";

        [CommandOption("--json <FILE>")]
        [Description("Also write the figures as JSON.")]
        public string? Json { get; init; }

        [CommandOption("--chunk-tokens <N>")]
        [Description("Chunking of the collection: 0 keeps each document whole (MTEB's way, default).")]
        [DefaultValue(0)]
        public int ChunkTokens { get; init; }

        [CommandOption("--model <NAME>")]
        [Description("Embedding model of the collection, e.g. all-MiniLM-L6-v2 (fp32) or all-MiniLM-L6-v2-int8 (default: the cluster's default for new collections).")]
        public string? Model { get; init; }

        [CommandOption("-p|--parallel <N>")]
        [Description("Requests in flight.")]
        [DefaultValue(8)]
        public int Parallel { get; init; } = 8;

        public IReadOnlyList<SearchMode> ParsedModes =>
            [.. Modes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(m => Enum.Parse<SearchMode>(m, ignoreCase: true))];

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Dataset) || !Directory.Exists(Dataset))
            {
                return ValidationResult.Error($"--dataset '{Dataset}' is not a folder.");
            }

            if (Modes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Any(m => !Enum.TryParse<SearchMode>(m, ignoreCase: true, out _)))
            {
                return ValidationResult.Error($"--mode must list dense, bm25 or hybrid; it was '{Modes}'.");
            }

            return Parallel is < 1 or > 64 ? ValidationResult.Error("--parallel must be between 1 and 64.") : base.Validate();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var dataset = BeirDataset.Load(settings.Dataset);
        using var client = settings.CreateClient();
        var evaluator = new Evaluator(client);
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"Dataset [bold]{Path.GetFileName(Path.GetFullPath(settings.Dataset))}[/]: {dataset.Corpus.Count} documents, {dataset.Queries.Count} judged queries; collection '{settings.Collection}'");

        (int Ingested, int Unchanged, IReadOnlyList<string> Failed) ingest = (0, 0, []);
        await AnsiConsole.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask("Ingesting corpus", maxValue: dataset.Corpus.Count);
                ingest = await evaluator.IngestAsync(dataset, settings.Collection!, settings.ChunkTokens, settings.Parallel,
                    new Progress<int>(done => task.Value = done), settings.Model, cancellationToken);
                task.Value = dataset.Corpus.Count;
            });
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"ingested {ingest.Ingested}, unchanged {ingest.Unchanged}, failed {ingest.Failed.Count}");
        foreach (var failure in ingest.Failed.Take(10))
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[red]failed[/] {failure}");
        }

        var results = new List<EvaluationResult>();
        foreach (var mode in settings.ParsedModes)
        {
            results.Add(await evaluator.EvaluateAsync(dataset, settings.Collection!, mode, settings.Parallel, cancellationToken));
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumns("mode", "nDCG@10", "Recall@10", "Recall@100", "MRR@10", "p50 ms", "p95 ms");
        foreach (var r in results)
        {
            table.AddRow(r.Mode.ToString().ToLowerInvariant(), F(r.Scores.NdcgAt10), F(r.Scores.RecallAt10), F(r.Scores.RecallAt100), F(r.Scores.MrrAt10),
                r.LatencyP50Ms.ToString("F1", CultureInfo.InvariantCulture), r.LatencyP95Ms.ToString("F1", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);
        if (settings.Json is { } json)
        {
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new
            {
                dataset = Path.GetFullPath(settings.Dataset),
                collection = settings.Collection,
                documents = dataset.Corpus.Count,
                queries = dataset.Queries.Count,
                results,
            }, RagHttpClient.Json), cancellationToken);
        }

        return ingest.Failed.Count == 0 ? 0 : 1;
    }

    private static string F(double value) => value.ToString("F4", CultureInfo.InvariantCulture);
}
