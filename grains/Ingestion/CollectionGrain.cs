using Orleans.Runtime;
using Microsoft.Extensions.Options;

namespace OrleansRag.Ingestion;

/// <summary>Persisted registry of a collection.</summary>
[GenerateSerializer]
public sealed class CollectionState
{
    [Id(0)] public bool Created { get; set; }

    [Id(1)] public int ShardCount { get; set; }

    /// <summary>Bumped by every change of content; answer caches are keyed by it.</summary>
    [Id(2)] public long Version { get; set; }

    [Id(3)] public Dictionary<string, RegisteredDocument> Documents { get; set; } = new(StringComparer.Ordinal);
}

[GenerateSerializer, Immutable]
public sealed record class RegisteredDocument(DocumentSummary Summary, int Shard);

/// <summary>
/// A collection's registry: shard count (fixed at creation), content version and the list of documents with
/// their shards. Shards rebuild their index from it.
/// </summary>
public sealed class CollectionGrain(
    [PersistentState("collection", RagConstants.StorageName)] IPersistentState<CollectionState> state,
    IOptions<IngestionOptions> options) : Grain, ICollectionGrain
{
    public Task<CollectionInfo> GetInfoAsync() => Task.FromResult(Info());

    public async Task<CollectionInfo> EnsureCreatedAsync()
    {
        if (!state.State.Created)
        {
            state.State.Created = true;
            state.State.ShardCount = options.Value.ShardCount;
            await state.WriteStateAsync();
        }

        return Info();
    }

    public async Task RegisterDocumentAsync(DocumentSummary document, int shard)
    {
        ArgumentNullException.ThrowIfNull(document);
        state.State.Documents[document.Id] = new RegisteredDocument(document, shard);
        state.State.Version++;
        await state.WriteStateAsync();
    }

    public async Task UnregisterDocumentAsync(string documentId)
    {
        if (state.State.Documents.Remove(documentId))
        {
            state.State.Version++;
            await state.WriteStateAsync();
        }
    }

    public Task<DocumentSummary[]> ListDocumentsAsync() =>
        Task.FromResult(state.State.Documents.Values.Select(d => d.Summary).OrderBy(d => d.Id, StringComparer.Ordinal).ToArray());

    public Task<string[]> GetShardDocumentsAsync(int shard) =>
        Task.FromResult(state.State.Documents.Values.Where(d => d.Shard == shard).Select(d => d.Summary.Id).ToArray());

    private CollectionInfo Info() => new(
        GrainKeys.CollectionName(this.GetPrimaryKeyString()),
        state.State.Created,
        state.State.ShardCount,
        state.State.Version,
        state.State.Documents.Count);
}
