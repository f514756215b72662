using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Spectre.Console;
using Spectre.Console.Cli;
using Spectre.Console.Rendering;

namespace OrleansRag.Cli.Commands;

/// <summary>
/// Walks a file or folder, uploads every .md/.markdown/.txt file with a progress bar (documents/s), and prints
/// a summary: ingested, unchanged, failed with reasons. Exit code 1 when anything failed.
/// </summary>
public sealed class IngestCommand : AsyncCommand<IngestCommand.Settings>
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".md"] = RagConstants.Markdown,
        [".markdown"] = RagConstants.Markdown,
        [".txt"] = RagConstants.PlainText,
        [".text"] = RagConstants.PlainText,
    };

    public sealed class Settings : RagSettings
    {
        [CommandArgument(0, "<PATH>")]
        [Description("A file, or a folder to walk recursively.")]
        public string Path { get; init; } = "";

        [CommandOption("-p|--parallel <N>")]
        [Description("Uploads in flight at once.")]
        [DefaultValue(4)]
        public int Parallel { get; init; } = 4;

        public override ValidationResult Validate()
        {
            if (!File.Exists(Path) && !Directory.Exists(Path))
            {
                return ValidationResult.Error($"'{Path}' is neither a file nor a folder.");
            }

            return Parallel is < 1 or > 64 ? ValidationResult.Error("--parallel must be between 1 and 64.") : base.Validate();
        }
    }

    private sealed record Failure(string File, string Reason);

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var (files, root) = Discover(settings.Path);
        var skipped = files.Count(f => !ContentTypes.ContainsKey(System.IO.Path.GetExtension(f)));
        var supported = files.Where(f => ContentTypes.ContainsKey(System.IO.Path.GetExtension(f))).ToList();
        if (supported.Count == 0)
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[yellow]No .md, .markdown or .txt files under '{settings.Path}'.[/]");
            return 1;
        }

        using var client = settings.CreateClient();
        var created = 0;
        var updated = 0;
        var unchanged = 0;
        var chunks = 0;
        var failures = new ConcurrentBag<Failure>();
        var watch = Stopwatch.StartNew();

        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new CountColumn(), new DocumentsPerSecondColumn(), new ElapsedTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask($"Ingesting into '{settings.Collection}'", maxValue: supported.Count);
                await Parallel.ForEachAsync(
                    supported,
                    new ParallelOptions { MaxDegreeOfParallelism = settings.Parallel, CancellationToken = cancellationToken },
                    async (file, token) =>
                    {
                        try
                        {
                            var text = await ReadUtf8Async(file, token);
                            var contentType = ContentTypes[System.IO.Path.GetExtension(file)];
                            var result = await client.PutDocumentAsync(settings.Collection!, DocumentId(root, file),
                                new DocumentInput(text, null, contentType, new Dictionary<string, MetadataValue> { ["source"] = System.IO.Path.GetRelativePath(root, file) }), token);
                            Interlocked.Add(ref chunks, result.ChunkCount);
                            _ = result.Status switch
                            {
                                IngestStatus.Created => Interlocked.Increment(ref created),
                                IngestStatus.Updated => Interlocked.Increment(ref updated),
                                _ => Interlocked.Increment(ref unchanged),
                            };
                        }
                        catch (RagApiException exception) when (exception.Status is null)
                        {
                            throw; // the service is unreachable: stop, every other file would fail the same way
                        }
                        catch (Exception exception) when (exception is RagApiException or IOException or DecoderFallbackException or UnauthorizedAccessException)
                        {
                            failures.Add(new Failure(System.IO.Path.GetRelativePath(root, file), exception.Message));
                        }
                        finally
                        {
                            task.Increment(1);
                        }
                    });
            });

        var seconds = Math.Max(watch.Elapsed.TotalSeconds, 0.001);
        var summary = new Table().Border(TableBorder.Rounded).AddColumns("ingested", "unchanged", "failed", "skipped (type)", "chunks", "docs/s");
        summary.AddRow(
            (created + updated).ToString(CultureInfo.InvariantCulture) + (updated > 0 ? $" ({updated} updated)" : ""),
            unchanged.ToString(CultureInfo.InvariantCulture),
            failures.Count.ToString(CultureInfo.InvariantCulture),
            skipped.ToString(CultureInfo.InvariantCulture),
            chunks.ToString(CultureInfo.InvariantCulture),
            (supported.Count / seconds).ToString("F1", CultureInfo.InvariantCulture));
        AnsiConsole.Write(summary);
        foreach (var failure in failures.OrderBy(f => f.File, StringComparer.Ordinal))
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[red]failed[/] {failure.File}: {failure.Reason}");
        }

        return failures.IsEmpty ? 0 : 1;
    }

    /// <summary>A document id from a path relative to the ingest root: folders joined by "__", other characters made safe.</summary>
    public static string DocumentId(string root, string file)
    {
        var relative = System.IO.Path.GetRelativePath(root, file).Replace('\\', '/');
        var builder = new StringBuilder(relative.Length);
        foreach (var c in relative.Replace("/", "__", StringComparison.Ordinal))
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-');
        }

        var id = builder.ToString().TrimStart('.');
        return id.Length <= RagConstants.MaxIdLength ? id : id[^RagConstants.MaxIdLength..];
    }

    private static (List<string> Files, string Root) Discover(string path)
    {
        if (File.Exists(path))
        {
            var full = System.IO.Path.GetFullPath(path);
            return ([full], System.IO.Path.GetDirectoryName(full)!);
        }

        var root = System.IO.Path.GetFullPath(path);
        var files = Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
            .Order(StringComparer.Ordinal)
            .ToList();
        return (files, root);
    }

    private static async Task<string> ReadUtf8Async(string file, CancellationToken cancellationToken)
    {
        var bytes = await File.ReadAllBytesAsync(file, cancellationToken);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            throw new IOException("the file is not valid UTF-8 text.");
        }
    }

    /// <summary>"done/total".</summary>
    private sealed class CountColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Markup($"{task.Value:F0}/{task.MaxValue:F0}");
    }

    /// <summary>Documents per second, from Spectre's own speed estimate.</summary>
    private sealed class DocumentsPerSecondColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Markup(task.Speed is { } speed ? $"[blue]{speed:F1} docs/s[/]" : "[grey]– docs/s[/]");
    }
}
