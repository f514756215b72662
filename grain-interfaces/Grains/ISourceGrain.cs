using Orleans.Concurrency;
using OrleansRag.Security;

namespace OrleansRag;

/// <summary>
/// One source of one collection (a folder, a bucket, a web site); key: tenant/collection/sourceId. It owns the source's
/// settings and secrets, the files it brought into the collection (each with the version it ingested) and the
/// schedule: a reminder syncs it every <see cref="SourceSettings.IntervalMinutes"/>, a folder is also watched, and a
/// sync can be asked for. A sync ingests new and changed files through the documents' normal pipeline, deletes the
/// documents of files that are gone (only after the whole source was listed) and leaves unchanged files alone.
/// </summary>
[TenantScoped(TenantScope.KeyPrefix)]
[Alias("OrleansRag.ISourceGrain")]
public interface ISourceGrain : IGrainWithStringKey
{
    /// <summary>
    /// Attaches the source to its collection (made when missing) and starts its first sync; null when a source of this
    /// id exists already. Settings the silo refuses (a folder outside <c>Sources:FolderRoots</c>) throw
    /// <see cref="RagValidationException"/>.
    /// </summary>
    [RequiresRole(RagRole.Admin)]
    Task<SourceInfo?> CreateAsync(SourceSettings settings, SourceSecrets secrets, CancellationToken cancellationToken = default);

    /// <summary>The source and where its syncing stands; null when there is none.</summary>
    [AlwaysInterleave]
    Task<SourceInfo?> GetAsync();

    /// <summary>Starts a sync now (or notes that one more is wanted when one is running); null when there is no source.</summary>
    [RequiresRole(RagRole.Writer)]
    Task<SourceInfo?> SyncAsync();

    /// <summary>
    /// Stops syncing and detaches the source; the documents it brought are deleted too unless
    /// <paramref name="keepDocuments"/>. False when there was no source.
    /// </summary>
    [RequiresRole(RagRole.Admin)]
    Task<bool> DeleteAsync(bool keepDocuments = false, CancellationToken cancellationToken = default);
}
