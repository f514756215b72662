using System.Security.Cryptography;
using System.Text;

namespace OrleansRag.Ingestion;

/// <summary>What every submission of a document goes through before the grain decides what to do with it.</summary>
public static class Submissions
{
    /// <summary>A new version id.</summary>
    public static string NewVersion() => Guid.NewGuid().ToString("N")[..16];

    /// <summary>The metadata as the record keeps it (ordinal keys, a copy).</summary>
    public static Dictionary<string, MetadataValue> Metadata(IReadOnlyDictionary<string, MetadataValue>? metadata) =>
        metadata is null ? [] : new Dictionary<string, MetadataValue>(metadata, StringComparer.Ordinal);

    /// <summary>SHA-256 over content type, title, the bytes and the metadata (sorted), hex, 32 characters.</summary>
    public static string ContentHash(byte[] content, string? title, string contentType, Dictionary<string, MetadataValue> metadata)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(metadata);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{contentType}\0{title ?? ""}\0"));
        hash.AppendData(content);
        var tail = new StringBuilder().Append('\0');
        foreach (var (key, value) in metadata.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            tail.Append(key).Append('=').Append(value.Canonical()).Append('\0');
        }

        hash.AppendData(Encoding.UTF8.GetBytes(tail.ToString()));
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..32];
    }

    /// <summary>The document as GET shows it: the served version and the status of the latest one (or only the job, before anything is served).</summary>
    public static DocumentInfo? Info(string collection, string documentId, DocumentState state, string? stage, string? processingSilo)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = state.Job;
        if (!state.Exists && job is null)
        {
            return null;
        }

        var status = job?.Status ?? DocumentStatus.Ready;
        var processing = status == DocumentStatus.Processing;
        DateTimeOffset? next = job is { Status: DocumentStatus.Queued, Attempts: > 0 } ? job.NextAttemptAt : null;
        return state.Exists
            ? new DocumentInfo(collection, documentId, state.Title, state.ContentType, state.Metadata, state.Text, state.ChunkCount, state.ContentHash, state.CreatedAt, state.UpdatedAt,
                status, job?.Error, job?.Attempts ?? state.Attempts, next, processing ? stage : null, state.PageCount, state.SourceBytes, Searchable: true, processing ? processingSilo : null,
                state.OcrPages)
            : new DocumentInfo(collection, documentId, job!.Title ?? documentId, job.ContentType, job.Metadata, null, 0, job.ContentHash, job.SubmittedAt, job.SubmittedAt,
                status, job.Error, job.Attempts, next, processing ? stage : null, null, job.SourceBytes, Searchable: false, processing ? processingSilo : null);
    }
}
