using OrleansRag.Security;

namespace OrleansRag;

/// <summary>A tenant's registry of collections; key: the tenant id.</summary>
[TenantScoped(TenantScope.Key)]
[Alias("OrleansRag.ITenantGrain")]
public interface ITenantGrain : IGrainWithStringKey
{
    /// <summary>Records that <paramref name="collection"/> exists (called by its collection grain; idempotent).</summary>
    Task AddCollectionAsync(string collection);

    /// <summary>The tenant's collections with their sizes, by name.</summary>
    Task<CollectionSize[]> ListCollectionsAsync(CancellationToken cancellationToken = default);
}
