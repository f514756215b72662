using System.ComponentModel.DataAnnotations;

namespace OrleansRag.Sources;

/// <summary>
/// Configuration section "Sources": what sources (folders, buckets, web sites kept in sync with a collection) may read,
/// and how they sync.
/// </summary>
public sealed class SourceOptions : IValidatableObject
{
    public const string SectionName = "Sources";

    /// <summary>
    /// The folders a folder source may read (it and everything under it, links not followed). Empty (the default): folder
    /// sources are refused, so no caller can make a silo read its own file system.
    /// </summary>
    public IList<string> FolderRoots { get; } = [];

    /// <summary>
    /// Whether web sources may reach loopback, private, link-local and other non-public addresses. Off by default: a web
    /// source must not become a way into the silo's own network (cloud metadata endpoints, internal services).
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>
    /// Whether an s3 source without keys may use the silo's own AWS credentials (environment, profile, instance role).
    /// Off by default: those credentials can read what the cluster itself stores, other tenants' originals included.
    /// </summary>
    public bool AllowSiloCredentials { get; set; }

    /// <summary>How often a source is synced when its settings do not say (intervalMinutes).</summary>
    public TimeSpan DefaultInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The most files (or pages) one source may list; a source over it fails its sync rather than sync a part.</summary>
    [Range(1, 1_000_000)]
    public int MaxFiles { get; set; } = 10_000;

    /// <summary>A web source's page limit when its settings do not say (maxPages).</summary>
    [Range(1, 1_000_000)]
    public int DefaultMaxPages { get; set; } = 200;

    /// <summary>Files a sync ingests at once (each read, uploaded and waited for until ready).</summary>
    [Range(1, 64)]
    public int Parallelism { get; set; } = 2;

    /// <summary>How long a sync waits for one file's document to be ready before it records the file as failed.</summary>
    public TimeSpan DocumentTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long one request to a web site or a bucket may take.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>When a sync fails part-way, the next one starts after this (not a whole interval later).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A watched folder is synced this long after its last change (changes in a burst make one sync).</summary>
    public TimeSpan WatchDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How a web source introduces itself (robots.txt rules for this agent apply, else those for *).</summary>
    public string UserAgent { get; set; } = "OrleansRag";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var root in FolderRoots)
        {
            if (string.IsNullOrWhiteSpace(root) || !Path.IsPathFullyQualified(root))
            {
                yield return new ValidationResult($"Sources:FolderRoots must be absolute paths; '{root}' is not.", [nameof(FolderRoots)]);
            }
        }

        if (DefaultInterval < TimeSpan.FromMinutes(1))
        {
            yield return new ValidationResult("Sources:DefaultInterval must be at least a minute (sources are synced by reminders).", [nameof(DefaultInterval)]);
        }

        foreach (var (name, value) in new[] { (nameof(DocumentTimeout), DocumentTimeout), (nameof(RequestTimeout), RequestTimeout), (nameof(RetryDelay), RetryDelay), (nameof(WatchDelay), WatchDelay) })
        {
            if (value <= TimeSpan.Zero)
            {
                yield return new ValidationResult($"Sources:{name} must be positive.", [name]);
            }
        }

        if (string.IsNullOrWhiteSpace(UserAgent))
        {
            yield return new ValidationResult("Sources:UserAgent must not be empty.", [nameof(UserAgent)]);
        }
    }
}
