using System.Collections.Concurrent;

namespace OrleansRag.Query;

/// <summary>
/// Keeps queries and writes off the collection grain: the identity a query needs (name, shard count) is fixed once a
/// collection exists and collections are never deleted, so the first answer of <see cref="ICollectionGrain.GetInfoAsync"/>
/// that says "exists" is kept for good on this silo. Counts and versions in the kept info are not refreshed; read
/// them from the grain. A collection that does not exist is asked again each time, so it is seen once created.
/// </summary>
public sealed class CollectionDirectory(IGrainFactory grains)
{
    private readonly ConcurrentDictionary<string, CollectionInfo> _known = new(StringComparer.Ordinal);

    /// <summary>The collection's identity, or null when it does not exist.</summary>
    public async ValueTask<CollectionInfo?> FindAsync(string collectionKey, CancellationToken cancellationToken)
    {
        if (_known.TryGetValue(collectionKey, out var known))
        {
            return known;
        }

        var info = await grains.GetGrain<ICollectionGrain>(collectionKey).GetInfoAsync(cancellationToken);
        if (!info.Exists)
        {
            return null;
        }

        _known[collectionKey] = info;
        return info;
    }

    /// <summary>The collection's identity, creating the collection (with the silo's defaults) when it does not exist: what a write needs.</summary>
    public async ValueTask<CollectionInfo> EnsureAsync(string collectionKey)
    {
        if (_known.TryGetValue(collectionKey, out var known))
        {
            return known;
        }

        var info = await grains.GetGrain<ICollectionGrain>(collectionKey).EnsureCreatedAsync();
        _known[collectionKey] = info;
        return info;
    }
}
