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
/// Walks a file or folder, uploads every file of a format the service reads (.pdf .docx .html/.htm .md
/// .markdown .txt .text) as it is, follows queued documents through to ready or failed with a progress bar
/// (documents/s), and prints a summary: ingested, unchanged, failed with reasons, and every skipped file with
/// its reason. Exit code 1 when anything failed.
/// </summary>
public sealed class IngestCommand : AsyncCommand<IngestCommand.Settings>
{
    public sealed class Settings : RagSettings
    {
        [CommandArgument(0, "<PATH>")]
        [Description("A file, or a folder to walk recursively: every file of a format the service reads (.pdf .docx .html .htm .md .markdown .txt .text, and images read by OCR: .png .jpg .jpeg .tif .tiff) is uploaded as it is.")]
        public string Path { get; init; } = "";

        [CommandOption("-p|--parallel <N>")]
        [Description("Uploads in flight at once.")]
        [DefaultValue(4)]
        public int Parallel { get; init; } = 4;

        [CommandOption("--no-wait")]
        [Description("Do not wait for queued documents (PDF, DOCX, large files) to be ready.")]
        public bool NoWait { get; init; }

        [CommandOption("--wait-timeout <SECONDS>")]
        [Description("How long to wait for queued documents to be ready.")]
        [DefaultValue(1800)]
        public int WaitTimeoutSeconds { get; init; } = 1800;

        public override ValidationResult Validate()
        {
            if (!File.Exists(Path) && !Directory.Exists(Path))
            {
                return ValidationResult.Error($"'{Path}' is neither a file nor a folder.");
            }

            if (WaitTimeoutSeconds < 1)
            {
                return ValidationResult.Error("--wait-timeout must be at least 1 second.");
            }

            return Parallel is < 1 or > 64 ? ValidationResult.Error("--parallel must be between 1 and 64.") : base.Validate();
        }
    }

    private sealed record Outcome(string File, string Reason);

    private sealed record Upload(string File, string DocumentId, string ContentType);

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var (files, root) = Discover(settings.Path);
        var skipped = new List<Outcome>();
        var uploads = new List<Upload>();
        foreach (var file in files)
        {
            var relative = System.IO.Path.GetRelativePath(root, file);
            var type = ContentTypes.ForExtension(System.IO.Path.GetExtension(file));
            if (type is null)
            {
                var extension = System.IO.Path.GetExtension(file);
                skipped.Add(new Outcome(relative, extension.Length == 0 ? "no file extension" : $"{extension} is not a format the service reads"));
            }
            else if (new FileInfo(file).Length == 0)
            {
                skipped.Add(new Outcome(relative, "empty file"));
            }
            else
            {
                uploads.Add(new Upload(file, DocumentId(root, file), type.MediaType));
            }
        }

        if (uploads.Count == 0)
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[yellow]No files of a supported format ({string.Join(' ', ContentTypes.All.SelectMany(t => t.Extensions))}) under '{settings.Path}'.[/]");
            PrintSkipped(skipped);
            return 1;
        }

        using var client = settings.CreateClient();
        var created = 0;
        var updated = 0;
        var unchanged = 0;
        var chunks = 0;
        var failures = new ConcurrentBag<Outcome>();
        var queued = new ConcurrentQueue<Upload>();
        var watch = Stopwatch.StartNew();

        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new CountColumn(), new DocumentsPerSecondColumn(), new ElapsedTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask($"Ingesting into '{settings.Collection}'", maxValue: uploads.Count);
                await Parallel.ForEachAsync(
                    uploads,
                    new ParallelOptions { MaxDegreeOfParallelism = settings.Parallel, CancellationToken = cancellationToken },
                    async (upload, token) =>
                    {
                        var relative = System.IO.Path.GetRelativePath(root, upload.File);
                        try
                        {
                            var result = await client.PutFileAsync(settings.Collection!, upload.DocumentId, upload.File, upload.ContentType,
                                new Dictionary<string, MetadataValue> { ["source"] = relative.Replace('\\', '/') }, token);
                            switch (result.Status)
                            {
                                case IngestStatus.Accepted:
                                    queued.Enqueue(upload);
                                    task.Description = Describe(settings, queued.Count);
                                    return; // counted once it is ready or failed
                                case IngestStatus.Created:
                                    Interlocked.Increment(ref created);
                                    break;
                                case IngestStatus.Updated:
                                    Interlocked.Increment(ref updated);
                                    break;
                                default:
                                    Interlocked.Increment(ref unchanged);
                                    break;
                            }

                            Interlocked.Add(ref chunks, result.ChunkCount);
                        }
                        catch (RagApiException exception) when (exception.Status is null)
                        {
                            throw; // the service is unreachable: stop, every other file would fail the same way
                        }
                        catch (Exception exception) when (exception is RagApiException or IOException or UnauthorizedAccessException)
                        {
                            failures.Add(new Outcome(relative, exception.Message));
                        }

                        task.Increment(1);
                    });

                if (settings.NoWait || queued.IsEmpty)
                {
                    return;
                }

                // Follow queued documents until each is ready or failed.
                var deadline = DateTime.UtcNow.AddSeconds(settings.WaitTimeoutSeconds);
                var waiting = queued.ToList();
                while (waiting.Count > 0)
                {
                    task.Description = Describe(settings, waiting.Count);
                    var still = new ConcurrentBag<Upload>();
                    await Parallel.ForEachAsync(waiting, new ParallelOptions { MaxDegreeOfParallelism = settings.Parallel, CancellationToken = cancellationToken }, async (upload, token) =>
                    {
                        var relative = System.IO.Path.GetRelativePath(root, upload.File);
                        try
                        {
                            var document = await client.GetDocumentAsync(settings.Collection!, upload.DocumentId, token);
                            switch (document.Status)
                            {
                                case DocumentStatus.Ready:
                                    _ = document.CreatedAt == document.UpdatedAt ? Interlocked.Increment(ref created) : Interlocked.Increment(ref updated);
                                    Interlocked.Add(ref chunks, document.ChunkCount);
                                    task.Increment(1);
                                    break;
                                case DocumentStatus.Failed:
                                    failures.Add(new Outcome(relative, document.Error ?? "failed"));
                                    task.Increment(1);
                                    break;
                                default:
                                    still.Add(upload);
                                    break;
                            }
                        }
                        catch (RagApiException exception) when (exception.Status is not null)
                        {
                            failures.Add(new Outcome(relative, exception.Message));
                            task.Increment(1);
                        }
                    });

                    waiting = [.. still];
                    if (waiting.Count > 0 && DateTime.UtcNow > deadline)
                    {
                        foreach (var upload in waiting)
                        {
                            failures.Add(new Outcome(System.IO.Path.GetRelativePath(root, upload.File), $"still not ready after {settings.WaitTimeoutSeconds} s (see its status with GET .../documents/{upload.DocumentId})"));
                            task.Increment(1);
                        }

                        break;
                    }

                    if (waiting.Count > 0)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
                    }
                }

                task.Description = $"Ingested into '{settings.Collection}'";
            });

        var pending = settings.NoWait ? queued.Count : 0;
        var seconds = Math.Max(watch.Elapsed.TotalSeconds, 0.001);
        var summary = new Table().Border(TableBorder.Rounded).AddColumns("ingested", "unchanged", "queued", "failed", "skipped", "chunks", "docs/s");
        summary.AddRow(
            (created + updated).ToString(CultureInfo.InvariantCulture) + (updated > 0 ? $" ({updated} updated)" : ""),
            unchanged.ToString(CultureInfo.InvariantCulture),
            pending.ToString(CultureInfo.InvariantCulture),
            failures.Count.ToString(CultureInfo.InvariantCulture),
            skipped.Count.ToString(CultureInfo.InvariantCulture),
            chunks.ToString(CultureInfo.InvariantCulture),
            ((created + updated + unchanged) / seconds).ToString("F1", CultureInfo.InvariantCulture));
        AnsiConsole.Write(summary);
        foreach (var failure in failures.OrderBy(f => f.File, StringComparer.Ordinal))
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[red]failed[/] {failure.File}: {failure.Reason}");
        }

        PrintSkipped(skipped);
        if (pending > 0)
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[blue]{pending} documents are queued[/]; 'orag list' shows their status.");
        }

        return failures.IsEmpty ? 0 : 1;
    }

    private static string Describe(Settings settings, int processing) =>
        $"Ingesting into '{settings.Collection}' ({processing} processing)";

    private static void PrintSkipped(List<Outcome> skipped)
    {
        foreach (var skip in skipped.OrderBy(s => s.File, StringComparer.Ordinal))
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[yellow]skipped[/] {skip.File}: {skip.Reason}");
        }
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
