using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;
using OrleansRag.Ingestion;

namespace OrleansRag.Tests.Cluster;

/// <summary>
/// The embedding model's invariants inside the cluster, whoever calls: a shard refuses vectors of another model than
/// the ones it holds (write or query), and a collection stored before collections recorded their model reads as the
/// model it was made with.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CollectionModelGrainTests(ClusterFixture fixture)
{
    private const string Tenant = "models";

    [Fact]
    public async Task A_shard_refuses_a_write_or_a_query_embedded_with_another_model()
    {
        var collectionKey = GrainKeys.Collection(Tenant, "mixing");
        var info = await fixture.Grains.GetGrain<ICollectionGrain>(collectionKey).CreateAsync(new CollectionSettings(ShardCount: 1));
        Assert.Equal("all-MiniLM-L6-v2-int8", info.EmbeddingModel?.Name);
        await fixture.Grains.GetGrain<IDocumentGrain>(GrainKeys.Document(collectionKey, "ferry"))
            .UpsertAsync(new DocumentInput("The night ferry to Tallinn leaves from the west harbour at eleven.", "Ferries"));

        var shard = fixture.Grains.GetGrain<IRetrievalShardGrain>(GrainKeys.Shard(collectionKey, 0));
        var summary = Assert.Single(await shard.ListDocumentsAsync());
        var chunks = (await shard.GetDocumentChunksAsync("ferry", 0, int.MaxValue, withVectors: true)).Chunks;

        // A raw write of the same vectors labelled as the fp32 model's is refused.
        var write = await Assert.ThrowsAsync<EmbeddingModelMismatchException>(() =>
            shard.CommitDocumentAsync(new ShardCommit(summary, null, "forged", 0, chunks, "all-MiniLM-L6-v2")));
        Assert.Contains("all-MiniLM-L6-v2-int8", write.Message, StringComparison.Ordinal);

        // A dense query embedded with another model is refused; with the collection's model it is answered.
        var query = new ShardQuery(SearchMode.Dense, 1, false, Vector: chunks[0].Vector, EmbeddingModel: "all-MiniLM-L6-v2");
        await Assert.ThrowsAsync<EmbeddingModelMismatchException>(() => shard.SearchAsync(query));
        var hit = Assert.Single(await shard.SearchAsync(query with { EmbeddingModel = "all-MiniLM-L6-v2-int8" }));
        Assert.Equal("ferry", hit.DocumentId);
        // An import of vectors labelled as another model is refused by the document grain itself, and a malformed one too.
        var import = new DocumentImport("v0001", "Ferries", ContentTypes.PlainText, null, null, "hash", chunks.Length, null, 64, "all-MiniLM-L6-v2", chunks);
        var document = fixture.Grains.GetGrain<IDocumentGrain>(GrainKeys.Document(collectionKey, "imported"));
        await Assert.ThrowsAsync<EmbeddingModelMismatchException>(() => document.ImportAsync(import));
        var twoWays = await Assert.ThrowsAsync<RagValidationException>(() => document.ImportAsync(import with { EmbeddingModel = "all-MiniLM-L6-v2-int8", Parts = 2 }));
        Assert.Contains("exactly one", twoWays.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<RagValidationException>(() => document.ImportAsync(import with { Version = "../escape" }));

        // Vectors the shard's index cannot take are refused before they are stored (stored, they would fail every
        // activation of the shard), and the shard keeps answering.
        var shortened = import with { EmbeddingModel = "all-MiniLM-L6-v2-int8", Chunks = [chunks[0] with { Vector = chunks[0].Vector[..100] }] };
        var refused = await Assert.ThrowsAsync<RagValidationException>(() => document.ImportAsync(shortened));
        Assert.Contains("100 dimensions", refused.Message, StringComparison.Ordinal);
        Assert.Single(await shard.SearchAsync(query with { EmbeddingModel = "all-MiniLM-L6-v2-int8" }));
        var imported = await document.ImportAsync(import with { EmbeddingModel = "all-MiniLM-L6-v2-int8" });
        Assert.Equal(IngestStatus.Created, imported.Status);
        Assert.Equal("imported#0", Assert.Single((await document.GetChunksAsync())!.Chunks).ChunkId); // the chunks are made this document's
    }

    [Fact]
    public async Task A_collection_stored_before_models_were_recorded_reads_as_the_fp32_model_it_was_made_with()
    {
        var collectionKey = GrainKeys.Collection(Tenant, "legacy");
        var storage = fixture.Cluster.Silos.OfType<InProcessSiloHandle>().First().SiloHost.Services.GetRequiredKeyedService<IGrainStorage>(RagConstants.StorageName);
        await storage.WriteStateAsync("collection", GrainId.Create("collection", collectionKey), new GrainState<CollectionState>(new CollectionState { Created = true, ShardCount = 2 }));

        var info = await fixture.Grains.GetGrain<ICollectionGrain>(collectionKey).GetInfoAsync();
        Assert.True(info.Exists);
        Assert.Equal(new EmbeddingModelInfo("all-MiniLM-L6-v2", 384, "mean", false), info.EmbeddingModel);

        // Its documents and questions are embedded with that model: the dense score is the fp32 model's cosine, to the
        // fourth decimal (the int8 model's differs in the third).
        await fixture.Grains.GetGrain<IDocumentGrain>(GrainKeys.Document(collectionKey, "ferry"))
            .UpsertAsync(new DocumentInput("The night ferry to Tallinn leaves from the west harbour at eleven.", "Ferries"));
        var found = await fixture.Grains.GetGrain<IQueryGrain>(collectionKey).SearchAsync("night ferry to Tallinn", new SearchOptions(1, SearchMode.Dense));
        var hit = Assert.Single(found!.Hits);
        Assert.Equal("ferry", hit.DocumentId);
        var vectors = Infrastructure.TestModel.Embed("night ferry to Tallinn", "Ferries The night ferry to Tallinn leaves from the west harbour at eleven.");
        Assert.Equal(System.Numerics.Tensors.TensorPrimitives.Dot(vectors[0], vectors[1]), hit.Score, 4);

        // The model it was read with is kept with its next write.
        var stored = new GrainState<CollectionState>();
        await storage.ReadStateAsync("collection", GrainId.Create("collection", collectionKey), stored);
        Assert.Equal(info.EmbeddingModel, stored.State?.EmbeddingModel);
    }
}
