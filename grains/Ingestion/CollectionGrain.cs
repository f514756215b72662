using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace OrleansRag.Ingestion;

/// <summary>Persisted identity of a collection; a few bytes, whatever the collection's size.</summary>
[GenerateSerializer, Alias("OrleansRag.Ingestion.CollectionState")]
public sealed class CollectionState
{
    [Id(0)] public bool Created { get; set; }

    [Id(1)] public int ShardCount { get; set; }

    /// <summary>Bumped by every change of content; answer caches are keyed by it.</summary>
    [Id(2)] public long Version { get; set; }

    /// <summary>Word pieces per chunk for this collection; null = the silo's default, 0 = whole documents.</summary>
    [Id(4)] public int? ChunkTokens { get; set; }

    [Id(5)] public int? ChunkOverlapTokens { get; set; }

    /// <summary>The model every text of the collection is embedded with; null only for collections created before it was recorded.</summary>
    [Id(6)] public EmbeddingModelInfo? EmbeddingModel { get; set; }

    /// <summary>Whether asks and searches are reranked when a request does not say; null = the silo's <c>Rerank:Enabled</c>.</summary>
    [Id(8)] public bool? Rerank { get; set; }

    /// <summary>The ids of the collection's sources (folders, buckets, sites kept in sync by their own grains).</summary>
    [Id(7)] public List<string> Sources { get; set; } = [];
}

/// <summary>
/// A collection's identity: shard count and embedding model (fixed at creation, so placement never changes and vectors
/// stay comparable) and content version. It
/// holds no per-document data (its documents and their count are its shards'), so its writes stay small as the collection grows. Stays
/// active (it is tiny and every query reads it), so reads keep working while storage is away.
/// </summary>
[CollectionAgeLimit(AlwaysActive = true)]
[GrainType("collection")] // the name the convention gave it: stored state and reminders are keyed by it, so a rename of the class must not change it
public sealed partial class CollectionGrain(
    [PersistentState("collection", RagConstants.StorageName)] IPersistentState<CollectionState> state,
    IOptions<IngestionOptions> options,
    Embedding.EmbeddingModels models,
    ILogger<CollectionGrain> logger) : Grain, ICollectionGrain
{
    /// <summary>Whether this activation has recorded the collection in its tenant's registry.</summary>
    private bool _registered;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Created)
        {
            try
            {
                await RegisterAsync(); // collections created before the tenant registry existed appear in listings too
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogRegistrationFailed(exception, this.GetPrimaryKeyString());
            }
        }
    }

    public async Task<CollectionInfo> GetInfoAsync(CancellationToken cancellationToken = default)
    {
        if (!state.State.Created)
        {
            return Info(new ShardSize(0, 0));
        }

        await DescribeLegacyModelAsync();
        return Info(ShardSize.Sum(await Task.WhenAll(Shards().Select(shard => shard.GetSizeAsync()))));
    }

    /// <summary>
    /// A collection created before collections recorded their model was made with the legacy model: described once
    /// (loading it), kept with the next write. When it cannot be loaded the info names no model (its texts are still
    /// embedded as the legacy model's, and the failure is logged) and the next read tries again: listings and BM25 keep working.
    /// </summary>
    private async Task DescribeLegacyModelAsync()
    {
        if (state.State.EmbeddingModel is not null)
        {
            return;
        }

        try
        {
            state.State.EmbeddingModel ??= await models.DescribeAsync(models.LegacyModel);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogLegacyModelUnavailable(exception, this.GetPrimaryKeyString(), models.LegacyModel);
        }
    }

    public Task<CollectionInfo> EnsureCreatedAsync() => CreateAsync(new CollectionSettings());

    public async Task<CollectionInfo> CreateAsync(CollectionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        RagValidation.ThrowIfInvalid(RagValidation.CheckCollectionSettings(settings), nameof(settings));
        if (settings.EmbeddingModel is { } named && !models.IsKnown(named))
        {
            throw new RagValidationException(
                $"embeddingModel '{RagValidation.Truncate(named)}' is not a model this cluster serves; it serves {string.Join(", ", models.Names)}.", "embeddingModel");
        }

        if (!state.State.Created)
        {
            var model = await models.DescribeAsync(settings.EmbeddingModel ?? models.DefaultModel); // loads it: a model that cannot serve is refused now
            await WriteAsync(s =>
            {
                s.Created = true;
                s.ShardCount = settings.ShardCount ?? options.Value.ShardCount;
                s.ChunkTokens = settings.ChunkTokens;
                s.ChunkOverlapTokens = settings.ChunkOverlapTokens;
                s.EmbeddingModel = model;
                s.Rerank = settings.Rerank;
            });

            // Activate every shard now, while storage is reachable, rather than on the first query.
            await Task.WhenAll(Shards().Select(shard => shard.GetSizeAsync()));
        }

        await RegisterAsync();
        return await GetInfoAsync();
    }

    /// <summary>Records the collection with its tenant, once per activation (every create or first write retries until it succeeds).</summary>
    private async Task RegisterAsync()
    {
        if (!_registered)
        {
            // An internal call, not the caller's: whoever's request activated or created the collection, the
            // registry entry is the collection's own doing (this async method's context change stays inside it).
            RequestContext.Remove(Security.RagRequestContext.Principal);
            var key = this.GetPrimaryKeyString();
            await GrainFactory.GetGrain<ITenantGrain>(key[..key.IndexOf('/', StringComparison.Ordinal)]).AddCollectionAsync(GrainKeys.CollectionName(key));
            _registered = true;
        }
    }

    public Task ContentChangedAsync() => WriteAsync(s => s.Version++);

    public async Task<DocumentSummary[]> ListDocumentsAsync()
    {
        if (!state.State.Created)
        {
            return [];
        }

        var perShard = await Task.WhenAll(Shards().Select(shard => shard.ListDocumentsAsync()));
        return [.. perShard.SelectMany(d => d).OrderBy(d => d.Id, StringComparer.Ordinal)];
    }

    public async Task<bool> AttachSourceAsync(string sourceId)
    {
        RagValidation.ThrowIfInvalid(RagValidation.CheckSourceId("source id", sourceId), nameof(sourceId));
        if (state.State.Sources.Contains(sourceId))
        {
            return true;
        }

        if (state.State.Sources.Count >= RagConstants.MaxSourcesPerCollection)
        {
            return false;
        }

        await WriteAsync(s =>
        {
            s.Sources.Add(sourceId);
            s.Sources.Sort(StringComparer.Ordinal);
        });
        return true;
    }

    public Task DetachSourceAsync(string sourceId) =>
        state.State.Sources.Contains(sourceId) ? WriteAsync(s => s.Sources.Remove(sourceId)) : Task.CompletedTask;

    public Task<string[]> ListSourcesAsync() => Task.FromResult(state.State.Sources.ToArray());

    /// <summary>Applies a change and persists it; when storage fails the in-memory state is left as it was.</summary>
    private async Task WriteAsync(Action<CollectionState> change)
    {
        var previous = new CollectionState
        {
            Created = state.State.Created,
            ShardCount = state.State.ShardCount,
            Version = state.State.Version,
            ChunkTokens = state.State.ChunkTokens,
            ChunkOverlapTokens = state.State.ChunkOverlapTokens,
            EmbeddingModel = state.State.EmbeddingModel,
            Rerank = state.State.Rerank,
            Sources = [.. state.State.Sources],
        };
        change(state.State);
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State = previous;
            throw;
        }
    }

    private IEnumerable<IRetrievalShardGrain> Shards()
    {
        var collectionKey = this.GetPrimaryKeyString();
        return Enumerable.Range(0, state.State.ShardCount).Select(shard => GrainFactory.GetGrain<IRetrievalShardGrain>(GrainKeys.Shard(collectionKey, shard)));
    }

    private CollectionInfo Info(ShardSize size) => new(
        GrainKeys.CollectionName(this.GetPrimaryKeyString()),
        state.State.Created,
        state.State.ShardCount,
        state.State.Version,
        size.Documents,
        state.State.ChunkTokens,
        state.State.ChunkOverlapTokens,
        size.Chunks,
        state.State.EmbeddingModel,
        state.State.Rerank);

    [LoggerMessage(Level = LogLevel.Error, Message = "Collection {Collection} was created before collections recorded their model, and its model {Model} cannot be loaded on this silo")]
    private partial void LogLegacyModelUnavailable(Exception exception, string collection, string model);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collection {Collection} could not be recorded in its tenant's registry; its next write tries again")]
    private partial void LogRegistrationFailed(Exception exception, string collection);
}
