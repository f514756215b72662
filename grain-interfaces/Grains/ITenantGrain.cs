using OrleansRag.Security;

namespace OrleansRag;

/// <summary>A tenant's registry of collections; key: the tenant id.</summary>
[TenantScoped(TenantScope.Key)]
[Alias("OrleansRag.ITenantGrain")]
public interface ITenantGrain : IGrainWithStringKey
{
    /// <summary>
    /// Records that <paramref name="collection"/> exists. Called by the collection grain itself (an internal call);
    /// from outside only an admin may.
    /// </summary>
    [RequiresRole(RagRole.Admin)]
    Task AddCollectionAsync(string collection);

    /// <summary>The tenant's collections with their sizes, by name.</summary>
    Task<CollectionSize[]> ListCollectionsAsync(CancellationToken cancellationToken = default);
}
