using System.Text.Json.Serialization;

namespace OrleansRag;

/// <summary>Where a source's documents live.</summary>
public enum SourceKind
{
    /// <summary>A folder on the silos' file system, under one of <c>Sources:FolderRoots</c>; also watched for changes.</summary>
    Folder,

    /// <summary>A container of Azure Blob Storage (or Azurite), optionally under a prefix.</summary>
    [JsonStringEnumMemberName("azureblob")]
    AzureBlob,

    /// <summary>A bucket of Amazon S3 or an S3-compatible server, optionally under a prefix.</summary>
    S3,

    /// <summary>A web site: the pages of a sitemap, or those linked from a start page; its host only, robots.txt honoured.</summary>
    Web,
}

/// <summary>
/// What a source reads and how often. Only the fields of its <see cref="Kind"/> apply: Folder <see cref="Path"/>;
/// AzureBlob <see cref="Container"/> (and the connection string, a secret); S3 <see cref="Bucket"/>,
/// <see cref="ServiceUrl"/>, <see cref="Region"/>, <see cref="AccessKey"/> (and the secret key); both blob kinds
/// <see cref="Prefix"/>; Web <see cref="Url"/> and/or <see cref="Sitemap"/> and <see cref="MaxPages"/>.
/// <see cref="IntervalMinutes"/>: how often it is synced (null: <c>Sources:DefaultInterval</c>).
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.SourceSettings")]
public sealed record class SourceSettings(
    SourceKind Kind,
    string? Path = null,
    string? Container = null,
    string? Bucket = null,
    string? Prefix = null,
    string? ServiceUrl = null,
    string? Region = null,
    string? AccessKey = null,
    string? Url = null,
    string? Sitemap = null,
    int? MaxPages = null,
    int? IntervalMinutes = null,
    bool? Watch = null);

/// <summary>
/// A source's credentials: kept encrypted with the cluster secret, never returned by a read, never logged. Azure
/// Blob: the storage account's connection string; S3: the secret access key (beside the access key id in the settings).
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.SourceSecrets")]
public sealed record class SourceSecrets(string? ConnectionString = null, string? SecretKey = null)
{
    public static readonly SourceSecrets None = new();

    /// <summary>The names of the secrets that are set, as a read shows them (values never).</summary>
    public IReadOnlyList<string> Names() =>
        [.. new[] { (nameof(ConnectionString), ConnectionString), (nameof(SecretKey), SecretKey) }
            .Where(s => !string.IsNullOrEmpty(s.Item2)).Select(s => char.ToLowerInvariant(s.Item1[0]) + s.Item1[1..])];

    /// <summary>Never the values, should a record ever be logged or shown.</summary>
    public override string ToString() => $"SourceSecrets {{ {string.Join(", ", Names())} }}";
}

/// <summary>Where a source's synchronisation stands.</summary>
public enum SourceSyncState
{
    /// <summary>Never synced yet.</summary>
    Pending,

    /// <summary>A sync is running.</summary>
    Syncing,

    /// <summary>The last sync read the whole source; per-file errors, if any, are listed.</summary>
    Succeeded,

    /// <summary>The last sync stopped part-way (the source could not be read); what it did is kept, nothing was deleted, and the next sync resumes.</summary>
    Failed,
}

/// <summary>A file the last syncs could not ingest, and why.</summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.SourceFileError")]
public sealed record class SourceFileError(string Path, string Error, DateTimeOffset At);

/// <summary>
/// One sync's counts: files new to the collection, changed, unchanged (no embedding), deleted, failed, and skipped
/// (a format OrleansRag does not read).
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.SourceSyncReport")]
public sealed record class SourceSyncReport(
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    SourceSyncState State,
    int Added = 0,
    int Updated = 0,
    int Unchanged = 0,
    int Deleted = 0,
    int Failed = 0,
    int Skipped = 0,
    string? Error = null,
    string Trigger = "schedule");

/// <summary>
/// A source as GET shows it: its settings (secrets by name only), its state, the last sync's report, the next one
/// planned, how many documents it keeps in the collection and the files that failed.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.SourceInfo")]
public sealed record class SourceInfo(
    string Collection,
    string Id,
    SourceSettings Settings,
    IReadOnlyList<string> Secrets,
    SourceSyncState State,
    DateTimeOffset CreatedAt,
    SourceSyncReport? LastSync,
    DateTimeOffset? NextSyncAt,
    int Documents,
    IReadOnlyList<SourceFileError> Errors,
    int IntervalMinutes,
    bool Watching = false);
