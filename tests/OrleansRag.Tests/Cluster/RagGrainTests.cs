using System.Text.RegularExpressions;
using OrleansRag.Tests.Engines;

namespace OrleansRag.Tests.Cluster;

/// <summary>The grains on a real two-silo cluster with the real embedding model.</summary>
[Collection(ClusterCollection.Name)]
public sealed partial class RagGrainTests(ClusterFixture fixture)
{
    private const string Tenant = "t1";

    private static readonly (string Id, string Title, string Text)[] Corpus =
    [
        ("coffee", "Brewing coffee", "Water between 90 and 96 degrees Celsius extracts coffee flavour well. Boiling water tends to make coffee bitter. A French press uses a coarse grind and steeps for four minutes."),
        ("tea", "Brewing tea", "Green tea is best brewed at about 80 degrees Celsius for two minutes. Black tea tolerates boiling water and steeps for four minutes."),
        ("orleans", "Orleans grains", "Orleans grains are virtual actors with a stable identity. The runtime activates a grain on demand and deactivates it when idle. Silos host grains and form a cluster."),
        ("photosynthesis", "Photosynthesis", "Plants convert light energy into chemical energy in their chloroplasts. Chlorophyll absorbs light and water is split, releasing oxygen. The Calvin cycle fixes carbon dioxide into sugar."),
        ("internet", "Internet history", "ARPANET sent its first message in 1969. TCP/IP replaced the older protocol on 1 January 1983. Tim Berners-Lee proposed the World Wide Web at CERN in 1989."),
        ("rust", "Rust ownership", "Rust enforces memory safety through ownership and borrowing. Each value has a single owner, and references must not outlive the data they point to."),
    ];

    private IDocumentGrain Document(string collection, string id) => fixture.Grains.GetGrain<IDocumentGrain>(GrainKeys.Document(Tenant, collection, id));

    private IQueryGrain Query(string collection) => fixture.Grains.GetGrain<IQueryGrain>(GrainKeys.Collection(Tenant, collection));

    private async Task SeedAsync(string collection)
    {
        foreach (var (id, title, text) in Corpus)
        {
            await Document(collection, id).UpsertAsync(new DocumentInput(text, title));
        }
    }

    [Fact]
    public async Task Search_over_shards_equals_brute_force_over_every_chunk()
    {
        var collection = "bruteforce";
        await SeedAsync(collection);

        // Add enough long documents that every shard holds several chunks.
        for (var i = 0; i < 12; i++)
        {
            var text = string.Join(" ", Enumerable.Range(0, 12).Select(s => $"Report {i} section {s} discusses subject {i * 7 + s} in some detail."));
            await Document(collection, $"report-{i}").UpsertAsync(new DocumentInput(text, $"Report {i}"));
        }

        var chunks = new List<IndexedChunk>();
        foreach (var id in Corpus.Select(c => c.Id).Concat(Enumerable.Range(0, 12).Select(i => $"report-{i}")))
        {
            chunks.AddRange((await Document(collection, id).GetChunksAsync(withVectors: true))!.Chunks);
        }

        Assert.True(chunks.Count > 30);
        var perShard = await Task.WhenAll(Enumerable.Range(0, 4).Select(s =>
            fixture.Grains.GetGrain<IRetrievalShardGrain>(GrainKeys.Shard(GrainKeys.Collection(Tenant, collection), s)).GetSizeAsync()));
        Assert.All(perShard, size => Assert.True(size.Chunks > 0));
        Assert.Equal(chunks.Count, perShard.Sum(size => size.Chunks));
        Assert.Equal(Corpus.Length + 12, ShardSize.Sum(perShard).Documents);

        var embedding = fixture.Grains.GetGrain<IEmbeddingGrain>(0);
        foreach (var query in new[] { "coffee water temperature", "subject 40 in report 5", "who proposed the web", "memory safety" })
        {
            var response = await Query(collection).SearchAsync(query, new SearchOptions(10));
            var vector = (await embedding.EmbedAsync([query], EmbeddingKind.Query)).Vectors[0];
            var expected = VectorIndexTests.BruteForce(chunks, vector, 10);
            Assert.Equal(expected.Select(e => e.ChunkId), response!.Hits.Select(h => h.ChunkId));
            Assert.Equal(expected.Select(e => e.Score), response.Hits.Select(h => (double)h.Score), new Tolerance(1e-5));
        }
    }

    [Fact]
    public async Task Upsert_same_content_is_a_no_op_and_new_content_replaces_old_chunks()
    {
        var collection = "upsert";
        var grain = Document(collection, "doc");
        var first = await grain.UpsertAsync(new DocumentInput("Zebras have black and white stripes that confuse biting flies.", "Zebras"));
        Assert.Equal(IngestStatus.Created, first.Status);

        var again = await grain.UpsertAsync(new DocumentInput("Zebras have black and white stripes that confuse biting flies.", "Zebras"));
        Assert.Equal(IngestStatus.Unchanged, again.Status);
        Assert.Equal(first.ContentHash, again.ContentHash);

        var changed = await grain.UpsertAsync(new DocumentInput("Penguins cannot fly but swim very fast in cold water.", "Penguins"));
        Assert.Equal(IngestStatus.Updated, changed.Status);

        var hits = (await Query(collection).SearchAsync("zebra stripes", new SearchOptions(10)))!.Hits;
        Assert.All(hits, hit => Assert.DoesNotContain("Zebras", hit.Text, StringComparison.Ordinal));
        Assert.Single(hits);
        Assert.Contains("Penguins", hits[0].Text, StringComparison.Ordinal);

        var info = await grain.GetAsync();
        Assert.Equal("Penguins", info!.Title);
    }

    [Fact]
    public async Task A_storage_client_failure_reaches_the_caller_as_storage_unavailable_and_a_retry_succeeds()
    {
        // StackExchange.Redis' own exception, as a hung Redis throws it, in the shard grain: the client (another
        // process's view) must get the typed, serialisable error, not a codec failure.
        ClusterFixture.Store.FailCommits("hung-redis", 1, () => new StackExchange.Redis.RedisTimeoutException("Timeout performing EVALSHA (3000ms)", StackExchange.Redis.CommandStatus.Sent));
        var document = Document("storage-errors", "hung-redis");
        var failed = await Assert.ThrowsAsync<StorageUnavailableException>(() => document.UpsertAsync(new DocumentInput("Storage hangs sometimes.", "Hung")));
        Assert.Contains("did not answer in time", failed.Message, StringComparison.Ordinal);
        Assert.Equal(IngestStatus.Created, (await document.UpsertAsync(new DocumentInput("Storage hangs sometimes.", "Hung"))).Status);
    }

    [Fact]
    public async Task Delete_removes_document_and_its_chunks_everywhere()
    {
        var collection = "delete";
        await SeedAsync(collection);
        Assert.True(await Document(collection, "coffee").DeleteAsync());
        Assert.False(await Document(collection, "coffee").DeleteAsync());
        Assert.Null(await Document(collection, "coffee").GetAsync());

        var hits = (await Query(collection).SearchAsync("coffee brewing temperature", new SearchOptions(100)))!.Hits;
        Assert.DoesNotContain(hits, h => h.DocumentId == "coffee");
        var listed = await fixture.Grains.GetGrain<ICollectionGrain>(GrainKeys.Collection(Tenant, collection)).ListDocumentsAsync();
        Assert.DoesNotContain(listed, d => d.Id == "coffee");
        Assert.Equal(Corpus.Length - 1, listed.Length);
    }

    [Fact]
    public async Task Collections_are_isolated()
    {
        await Document("iso-a", "secret").UpsertAsync(new DocumentInput("The launch code of project Bluebird is kept in the red binder.", "Bluebird"));
        await Document("iso-b", "public").UpsertAsync(new DocumentInput("The cafeteria opens at eight in the morning.", "Cafeteria"));

        var fromB = (await Query("iso-b").SearchAsync("launch code project Bluebird", new SearchOptions(100)))!;
        Assert.All(fromB.Hits, hit => Assert.Equal("public", hit.DocumentId));
        var answer = (await Query("iso-b").AskAsync("Where is the launch code of project Bluebird kept?", new SearchOptions(10)))!;
        Assert.DoesNotContain("Bluebird", answer.Answer, StringComparison.Ordinal);
        Assert.DoesNotContain(answer.Citations, c => c.DocumentId == "secret");

        // Same collection name under another tenant is another collection.
        var otherTenant = fixture.Grains.GetGrain<IQueryGrain>(GrainKeys.Collection("t2", "iso-a"));
        Assert.Null(await otherTenant.SearchAsync("launch code", new SearchOptions(5)));
    }

    [Fact]
    public async Task Ask_answers_with_citations_that_resolve()
    {
        var collection = "ask";
        await SeedAsync(collection);
        var answer = (await Query(collection).AskAsync("When did Tim Berners-Lee propose the World Wide Web?", new SearchOptions(5)))!;
        Assert.Contains("1989", answer.Answer, StringComparison.Ordinal);
        var markers = Marker().Matches(answer.Answer).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).Distinct().ToList();
        Assert.NotEmpty(markers);
        Assert.Equal(markers.Order(), answer.Citations.Select(c => c.N).Order());
        Assert.Equal("internet", answer.Citations[0].DocumentId);
        Assert.True(answer.Timings.TotalMs >= answer.Timings.EmbedMs);
        Assert.False(answer.Cached);

        var again = (await Query(collection).AskAsync("When did Tim Berners-Lee propose the World Wide Web?", new SearchOptions(5)))!;
        Assert.Equal(answer.Answer, again.Answer);
    }

    [Fact]
    public async Task Cached_answers_are_invalidated_by_new_content()
    {
        var collection = "cache";
        await Document(collection, "a").UpsertAsync(new DocumentInput("The office wifi password is printed on the kitchen fridge.", "Wifi"));
        var before = (await Query(collection).AskAsync("Where is the wifi password?", new SearchOptions(3)))!;
        Assert.Contains("fridge", before.Answer, StringComparison.Ordinal);

        await Document(collection, "a").UpsertAsync(new DocumentInput("The office wifi password is now on a card at reception.", "Wifi"));
        var after = (await Query(collection).AskAsync("Where is the wifi password?", new SearchOptions(3)))!;
        Assert.False(after.Cached);
        Assert.Contains("reception", after.Answer, StringComparison.Ordinal);
        Assert.DoesNotContain("fridge", after.Answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_shard_that_reactivates_rebuilds_its_index_from_the_documents()
    {
        var collection = "rebuild";
        await SeedAsync(collection);
        var before = (await Query(collection).SearchAsync("virtual actors", new SearchOptions(6)))!.Hits;

        var collectionKey = GrainKeys.Collection(Tenant, collection);
        for (var shard = 0; shard < 4; shard++)
        {
            var grain = fixture.Grains.GetGrain<IRetrievalShardGrain>(GrainKeys.Shard(collectionKey, shard));
            await fixture.Cluster.DeactivateAsync(grain);
            await fixture.Cluster.WaitForDeactivationAsync(grain);
        }

        var after = (await Query(collection).SearchAsync("virtual actors", new SearchOptions(6)))!.Hits;
        Assert.Equal(before.Select(h => h.ChunkId), after.Select(h => h.ChunkId));
    }

    [Fact]
    public async Task Invalid_input_is_rejected_inside_the_grains_too()
    {
        await Assert.ThrowsAsync<RagValidationException>(() => Document("bad", "d").UpsertAsync(new DocumentInput("   ")));
        await Assert.ThrowsAsync<RagValidationException>(() => Document("bad", "d").UpsertAsync(new DocumentInput("x", ContentType: "application/pdf")));
        await Assert.ThrowsAsync<RagValidationException>(() => Query("bad").SearchAsync("q", new SearchOptions(0)));
        await Assert.ThrowsAsync<RagValidationException>(() => Query("bad").AskAsync("", new SearchOptions(5)));
        Assert.Null(await Query("never-created").SearchAsync("anything", new SearchOptions(5)));
    }

    [GeneratedRegex(@"\[(\d+)\]")]
    private static partial Regex Marker();

    private sealed class Tolerance(double epsilon) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= epsilon;

        public int GetHashCode(double obj) => 0;
    }
}
