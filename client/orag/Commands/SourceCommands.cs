using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;

namespace OrleansRag.Cli.Commands;

/// <summary>The id argument the source commands other than list take.</summary>
public class SourceSettingsBase : RagSettings
{
    [CommandArgument(0, "<ID>")]
    [Description("Source id (letters, digits and . _ - ~ @).")]
    public string Id { get; init; } = "";

    public override ValidationResult Validate() =>
        base.Validate() is { Successful: false } failed ? failed
        : RagValidation.CheckSourceId("source id", Id) is { } problem ? ValidationResult.Error(problem)
        : ValidationResult.Success();
}

/// <summary>orag sources add: attaches a folder, bucket or web site to a collection.</summary>
public sealed class SourcesAddCommand : AsyncCommand<SourcesAddCommand.Settings>
{
    public sealed class Settings : SourceSettingsBase
    {
        [CommandOption("--kind <KIND>")]
        [Description("folder, azureblob, s3 or web.")]
        public string Kind { get; init; } = "";

        [CommandOption("--path <PATH>")]
        [Description("folder: an absolute path on the silos, under one of Sources:FolderRoots.")]
        public string? Path { get; init; }

        [CommandOption("--container <NAME>")]
        [Description("azureblob: the container. The connection string comes from $ORAG_SOURCE_CONNECTION_STRING.")]
        public string? Container { get; init; }

        [CommandOption("--bucket <NAME>")]
        [Description("s3: the bucket. The secret key comes from $ORAG_SOURCE_SECRET_KEY.")]
        public string? Bucket { get; init; }

        [CommandOption("--prefix <PREFIX>")]
        [Description("azureblob, s3: only keys under this prefix (a folder of the bucket).")]
        public string? Prefix { get; init; }

        [CommandOption("--service-url <URL>")]
        [Description("s3: the endpoint of an S3-compatible server (none: AWS).")]
        public string? ServiceUrl { get; init; }

        [CommandOption("--region <REGION>")]
        [Description("s3: the region (default us-east-1).")]
        public string? Region { get; init; }

        [CommandOption("--access-key <ID>")]
        [Description("s3: the access key id (its secret from $ORAG_SOURCE_SECRET_KEY).")]
        public string? AccessKey { get; init; }

        [CommandOption("--start-url <URL>")]
        [Description("web: the start page; its links on the same site are followed.")]
        public string? StartUrl { get; init; }

        [CommandOption("--sitemap <URL>")]
        [Description("web: a sitemap (or sitemap index) listing the pages.")]
        public string? Sitemap { get; init; }

        [CommandOption("--max-pages <N>")]
        [Description("web: the most pages listed.")]
        public int? MaxPages { get; init; }

        [CommandOption("--interval <MINUTES>")]
        [Description("Minutes between syncs (default: the silo's Sources:DefaultInterval).")]
        public int? Interval { get; init; }

        [CommandOption("--no-watch")]
        [Description("folder: sync on the schedule only, not on every change.")]
        public bool NoWatch { get; init; }

        public override ValidationResult Validate() =>
            base.Validate() is { Successful: false } failed ? failed
            : Kind.ToLowerInvariant() is "folder" or "azureblob" or "s3" or "web" ? ValidationResult.Success()
            : ValidationResult.Error("--kind must be folder, azureblob, s3 or web.");
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var client = settings.CreateClient();
        // Secrets only from the environment: arguments show up in process lists and shell histories.
        var source = await client.AddSourceAsync(settings.Collection!, new
        {
            id = settings.Id,
            kind = settings.Kind.ToLowerInvariant(),
            path = settings.Path,
            container = settings.Container,
            connectionString = Environment.GetEnvironmentVariable("ORAG_SOURCE_CONNECTION_STRING") is { Length: > 0 } connection && settings.Kind.Equals("azureblob", StringComparison.OrdinalIgnoreCase) ? connection : null,
            bucket = settings.Bucket,
            prefix = settings.Prefix,
            serviceUrl = settings.ServiceUrl,
            region = settings.Region,
            accessKey = settings.AccessKey,
            secretKey = Environment.GetEnvironmentVariable("ORAG_SOURCE_SECRET_KEY") is { Length: > 0 } secret && settings.Kind.Equals("s3", StringComparison.OrdinalIgnoreCase) ? secret : null,
            url = settings.StartUrl,
            sitemap = settings.Sitemap,
            maxPages = settings.MaxPages,
            intervalMinutes = settings.Interval,
            watch = settings.NoWatch ? false : (bool?)null,
        }, cancellationToken);
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"Added source '{source.Id}' ({SourcesListCommand.Kind(source.Settings.Kind)}) to '{source.Collection}': synced every {source.IntervalMinutes} min; the first sync has started (orag sources list -c {source.Collection}).");
        return 0;
    }
}

/// <summary>orag sources list: the collection's sources and their last sync.</summary>
public sealed class SourcesListCommand : AsyncCommand<RagSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, RagSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var client = settings.CreateClient();
        var sources = await client.ListSourcesAsync(settings.Collection!, cancellationToken);
        var table = new Table().AddColumns("id", "kind", "state", "last sync", "added/updated/unchanged/deleted/failed", "documents", "next sync");
        foreach (var source in sources)
        {
            var last = source.LastSync;
            table.AddRow(
                new Text(source.Id), new Text(Kind(source.Settings.Kind)), new Text(source.State.ToString().ToLowerInvariant()),
                new Text(last?.FinishedAt?.ToString("u", CultureInfo.InvariantCulture) ?? ""),
                new Text(last is null ? "" : string.Create(CultureInfo.InvariantCulture, $"{last.Added}/{last.Updated}/{last.Unchanged}/{last.Deleted}/{last.Failed}")),
                new Text(source.Documents.ToString(CultureInfo.InvariantCulture)), new Text(source.NextSyncAt?.ToString("u", CultureInfo.InvariantCulture) ?? ""));
        }

        AnsiConsole.Write(table);
        foreach (var source in sources)
        {
            SourcesSyncCommand.PrintProblems(source);
        }

        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[grey]{sources.Count} sources in '{settings.Collection}'[/]");
        return 0;
    }

    internal static string Kind(SourceKind kind) => kind == SourceKind.AzureBlob ? "azureblob" : kind.ToString().ToLowerInvariant();
}

/// <summary>orag sources sync: syncs a source now, and with --wait waits for the result.</summary>
public sealed class SourcesSyncCommand : AsyncCommand<SourcesSyncCommand.Settings>
{
    public sealed class Settings : SourceSettingsBase
    {
        [CommandOption("--wait")]
        [Description("Wait for the sync to finish and print its counts (exit code 1 when it failed).")]
        public bool Wait { get; init; }

        [CommandOption("--timeout <MINUTES>")]
        [Description("How long --wait waits.")]
        [DefaultValue(30)]
        public int Timeout { get; init; } = 30;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var client = settings.CreateClient();
        var started = await client.SyncSourceAsync(settings.Collection!, settings.Id, cancellationToken);
        if (!settings.Wait)
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"Sync of '{started.Id}' started.");
            return 0;
        }

        // The sync that answers this request started no earlier than the one running when it was asked.
        var since = started.LastSync is { FinishedAt: null } running ? running.StartedAt : DateTimeOffset.UtcNow.AddSeconds(-5);
        var deadline = DateTimeOffset.UtcNow.AddMinutes(settings.Timeout);
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            var source = await client.GetSourceAsync(settings.Collection!, settings.Id, cancellationToken);
            if (source.State != SourceSyncState.Syncing && source.LastSync is { FinishedAt: not null } last && last.StartedAt >= since)
            {
                AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                    $"Sync of '{source.Id}' {last.State.ToString().ToLowerInvariant()}: {last.Added} added, {last.Updated} updated, {last.Unchanged} unchanged, {last.Deleted} deleted, {last.Failed} failed, {last.Skipped} skipped.");
                PrintProblems(source);
                return last.State == SourceSyncState.Succeeded ? 0 : 1;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[red]The sync of '{source.Id}' has not finished after {settings.Timeout} minutes.[/]");
                return 1;
            }

            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(2000, delay.TotalMilliseconds * 1.5));
        }
    }

    internal static void PrintProblems(SourceInfo source)
    {
        if (source.LastSync?.Error is { } error)
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[red]{source.Id}: {error}[/]");
        }

        foreach (var file in source.Errors.Take(20))
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[yellow]{source.Id}: {file.Path}: {file.Error}[/]");
        }
    }
}

/// <summary>orag sources remove: detaches a source (and deletes its documents unless --keep-documents).</summary>
public sealed class SourcesRemoveCommand : AsyncCommand<SourcesRemoveCommand.Settings>
{
    public sealed class Settings : SourceSettingsBase
    {
        [CommandOption("--keep-documents")]
        [Description("Keep the documents the source brought in.")]
        public bool KeepDocuments { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var client = settings.CreateClient();
        await client.DeleteSourceAsync(settings.Collection!, settings.Id, settings.KeepDocuments, cancellationToken);
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"Removed source '{settings.Id}' from '{settings.Collection}'{(settings.KeepDocuments ? "; its documents were kept" : " with its documents")}.");
        return 0;
    }
}
