using System.Security.Cryptography;
using System.Text;

namespace OrleansRag.Sources;

/// <summary>One file (or page) a source lists: where it is, its version (changes whenever its content may have), and how to read it.</summary>
/// <param name="Path">'/'-separated, relative to the source's root (a web page: its URL's path and query).</param>
/// <param name="Version">The store's version of it (ETag, size and time, a sitemap's lastmod, a page's hash).</param>
/// <param name="ContentType">The media type it is read as; null when OrleansRag does not read its format (skipped).</param>
/// <param name="Length">Its size when the listing tells it.</param>
/// <param name="Url">A web page's address (kept as the document's "url" metadata).</param>
public sealed record class SourceEntry(string Path, string Version, string? ContentType, long? Length = null, Uri? Url = null);

/// <summary>A file the source brought into the collection: its document, the version ingested, and the error if that version failed.</summary>
[GenerateSerializer, Alias("OrleansRag.SourceFile")]
public sealed class SourceFile
{
    [Id(0)] public string DocumentId { get; set; } = "";

    /// <summary>The version last ingested (or that failed); empty when the next sync must look at the file again.</summary>
    [Id(1)] public string Version { get; set; } = "";

    [Id(2)] public string? Error { get; set; }

    [Id(3)] public DateTimeOffset At { get; set; }
}

/// <summary>What a sync does: files to ingest (new or changed), files whose documents go (no longer listed), and what it leaves.</summary>
public sealed record class SourcePlan(IReadOnlyList<SourceEntry> Ingest, IReadOnlyList<string> Delete, int Unchanged, int Skipped);

/// <summary>
/// A sync's rules, apart from any grain: which files need ingesting, which documents must go, and the document id each
/// file gets. A file is ingested when it is new or its version differs from the one ingested (a file whose version
/// failed is not tried again until it changes); a document is deleted only when its file is missing from a complete
/// listing, or is now of a format OrleansRag does not read.
/// </summary>
public static class SourcePlanner
{
    /// <summary>
    /// Compares a listing with the files the source brought in. A listing that is not <paramref name="complete"/> (it
    /// stopped at a limit) deletes only the documents of files it saw in a format no longer read: what it did not reach
    /// is not known to be gone.
    /// </summary>
    public static SourcePlan Plan(IReadOnlyDictionary<string, SourceFile> known, IEnumerable<SourceEntry> listed, bool complete = true)
    {
        ArgumentNullException.ThrowIfNull(known);
        ArgumentNullException.ThrowIfNull(listed);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var unreadable = new HashSet<string>(StringComparer.Ordinal);
        var ingest = new List<SourceEntry>();
        int unchanged = 0, skipped = 0;
        foreach (var entry in listed)
        {
            if (!seen.Add(entry.Path))
            {
                continue; // listed twice (a sitemap that repeats a page): the first counts
            }

            if (entry.ContentType is null)
            {
                unreadable.Add(entry.Path); // a format not read: its document, if it had one, goes
                skipped++;
            }
            else if (known.TryGetValue(entry.Path, out var file) && file.Version.Length > 0 && file.Version == entry.Version)
            {
                unchanged++;
            }
            else
            {
                ingest.Add(entry);
            }
        }

        var delete = known.Keys.Where(path => unreadable.Contains(path) || (complete && !seen.Contains(path))).Order(StringComparer.Ordinal).ToList();
        return new SourcePlan(ingest, delete, unchanged, skipped);
    }

    /// <summary>
    /// The document id of a file: "{source}:{path}" with '/' written "__" (as <c>orag ingest</c> names files of a
    /// folder), readable in citations; when that is not a valid id, is too long or is <paramref name="taken"/> by another
    /// file, a shortened form with a hash of the path, which is the same on every sync.
    /// </summary>
    public static string DocumentId(string sourceId, string path, Func<string, bool> taken)
    {
        ArgumentNullException.ThrowIfNull(taken);
        var readable = $"{sourceId}:{path.Trim('/').Replace("/", "__", StringComparison.Ordinal)}";
        if (path.Trim('/').Length > 0 && RagValidation.CheckDocumentId("id", readable) is null && !taken(readable))
        {
            return readable;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(path)))[..16];
        var stem = new string([.. readable.Where(c => !char.IsControl(c) && !char.IsSurrogate(c) && c is not ('/' or '\\' or '%'))]).Trim();
        stem = stem[..Math.Min(stem.Length, RagConstants.MaxIdLength - hash.Length - 1)].TrimEnd();
        return $"{stem}~{hash}";
    }
}
