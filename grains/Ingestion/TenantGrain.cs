namespace OrleansRag.Ingestion;

/// <summary>Persisted names of a tenant's collections.</summary>
[GenerateSerializer, Alias("OrleansRag.TenantState")]
public sealed class TenantState
{
    [Id(0)] public SortedSet<string> Collections { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// A tenant's registry of collections: names only (each collection grain registers itself when it is created or
/// activated), so its writes stay tiny; sizes come from the collection grains and their shards when listed.
/// </summary>
[GrainType("tenant")] // the name the convention gave it: stored state and reminders are keyed by it, so a rename of the class must not change it
public sealed class TenantGrain(
    [PersistentState("tenant", RagConstants.StorageName)] IPersistentState<TenantState> state) : Grain, ITenantGrain
{
    public async Task AddCollectionAsync(string collection)
    {
        RagValidation.ThrowIfInvalid(RagValidation.CheckId(nameof(collection), collection), nameof(collection));
        if (state.State.Collections.Add(collection))
        {
            try
            {
                await state.WriteStateAsync();
            }
            catch
            {
                state.State.Collections.Remove(collection); // not recorded: the next registration tries again
                throw;
            }
        }
    }

    public async Task<CollectionSize[]> ListCollectionsAsync(CancellationToken cancellationToken = default)
    {
        var tenant = this.GetPrimaryKeyString();
        var sizes = await Task.WhenAll(state.State.Collections.Select(async Task<CollectionSize?> (name) =>
        {
            var info = await GrainFactory.GetGrain<ICollectionGrain>(GrainKeys.Collection(tenant, name)).GetInfoAsync(cancellationToken);
            return info.Exists ? new CollectionSize(name, info.ShardCount, info.DocumentCount, info.ChunkCount, info.ChunkTokens, info.EmbeddingModel?.Name) : null;
        }));
        return [.. sizes.OfType<CollectionSize>()];
    }
}
