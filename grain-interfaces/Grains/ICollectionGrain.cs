using Orleans.Concurrency;
using OrleansRag.Security;

namespace OrleansRag;

/// <summary>
/// A collection's identity: shard count (fixed at creation) and content version; key: tenant/collection. The
/// documents themselves, and how many there are, are known by the shards that hold them.
/// </summary>
[TenantScoped(TenantScope.KeyPrefix)]
[Alias("OrleansRag.ICollectionGrain")]
public interface ICollectionGrain : IGrainWithStringKey
{
    /// <summary>The collection's info, its document count from its shards; interleaves with writes, so reads never wait behind them.</summary>
    [AlwaysInterleave]
    Task<CollectionInfo> GetInfoAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates the collection on first use (with the silo's default settings) and returns its info.</summary>
    [RequiresRole(RagRole.Writer)]
    Task<CollectionInfo> EnsureCreatedAsync();

    /// <summary>Creates the collection with <paramref name="settings"/>, or returns the existing one unchanged.</summary>
    [RequiresRole(RagRole.Admin)]
    Task<CollectionInfo> CreateAsync(CollectionSettings settings);

    /// <summary>Records a change of content (bumps the version that answer caches are keyed by).</summary>
    [RequiresRole(RagRole.Writer)]
    Task ContentChangedAsync();

    /// <summary>Every document of the collection, by id (gathered from its shards).</summary>
    Task<DocumentSummary[]> ListDocumentsAsync();

    /// <summary>Records a source of the collection (its grain calls this when it is made); false when the collection has <see cref="RagConstants.MaxSourcesPerCollection"/> already.</summary>
    [RequiresRole(RagRole.Admin)]
    Task<bool> AttachSourceAsync(string sourceId);

    /// <summary>Forgets a source of the collection (its grain calls this when it is deleted).</summary>
    [RequiresRole(RagRole.Admin)]
    Task DetachSourceAsync(string sourceId);

    /// <summary>The ids of the collection's sources, in order.</summary>
    [AlwaysInterleave]
    Task<string[]> ListSourcesAsync();
}
