using System.Text;

namespace OrleansRag.Tests.Cluster;

/// <summary>
/// Background ingestion on a two-silo cluster: uploads in pieces, large documents in staged parts, transient
/// storage failures retried with backoff, permanent ones failed with the reason, the previous version served
/// throughout and never mixed with the new one.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BackgroundIngestTests(ClusterFixture fixture)
{
    private const string Tenant = "t-background";

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    private IDocumentGrain Document(string collection, string id) => fixture.Grains.GetGrain<IDocumentGrain>(GrainKeys.Document(Tenant, collection, id));

    private IQueryGrain Query(string collection) => fixture.Grains.GetGrain<IQueryGrain>(GrainKeys.Collection(Tenant, collection));

    /// <summary>About 60 chunks of 64 word pieces: larger than SyncMaxBytes (4 KiB) and several parts of 16 chunks.</summary>
    private static string LargeText(string marker) => string.Join("\n\n", Enumerable.Range(0, 60).Select(i =>
        $"Section {i} of the {marker} report. The {marker} turbine number {i} was inspected on day {i % 28 + 1} and its blades were measured. Vibration stayed below {i + 10} millimetres per second during the run."));

    private async Task<IngestResult> UploadAsync(string collection, string id, string text, int pieceBytes = 1000)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var document = Document(collection, id);
        var upload = Guid.NewGuid().ToString("N");
        for (var offset = 0; offset < bytes.Length; offset += pieceBytes)
        {
            var piece = bytes[offset..Math.Min(bytes.Length, offset + pieceBytes)];
            await document.UploadPartAsync(upload, offset, piece);
            await document.UploadPartAsync(upload, offset, piece); // a retried piece is not appended twice
        }

        return await document.SubmitUploadAsync(upload, new DocumentUpload(ContentTypes.PlainText, $"{id} report"), bytes.Length);
    }

    private async Task<DocumentInfo> WaitAsync(string collection, string id)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var info = await Document(collection, id).GetAsync();
            Assert.NotNull(info);
            if (info.Status is DocumentStatus.Ready or DocumentStatus.Failed)
            {
                return info;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{id} is still {info.Status} after {Patience} ({info.Error}).");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_refused_upload_leaves_none_of_its_pieces_in_the_source_store()
    {
        var document = Document("refused", "upload");
        var key = GrainKeys.Document(Tenant, "refused", "upload");

        // Described wrongly (a format OrleansRag does not read): refused when submitted, its pieces deleted.
        await document.UploadPartAsync("described-wrongly", 0, Encoding.UTF8.GetBytes("a perfectly fine text"));
        Assert.NotNull(await ClusterFixture.Sources.ReadAsync($"{key}/described-wrongly"));
        await Assert.ThrowsAsync<RagValidationException>(() => document.SubmitUploadAsync("described-wrongly", new DocumentUpload("application/x-unknown"), 21));
        Assert.Null(await ClusterFixture.Sources.ReadAsync($"{key}/described-wrongly"));

        // Past the document limit (Ingestion:MaxDocumentBytes, 50 MiB by default): refused at that piece, the earlier ones deleted.
        await document.UploadPartAsync("too-large", 0, new byte[1024]);
        var rejected = await Assert.ThrowsAsync<DocumentRejectedException>(() => document.UploadPartAsync("too-large", 50L * 1024 * 1024, new byte[1024]));
        Assert.Equal(RejectionReason.TooLarge, rejected.Reason);
        Assert.Null(await ClusterFixture.Sources.ReadAsync($"{key}/too-large"));
        Assert.Null(await document.GetAsync());
    }

    [Fact]
    public async Task A_large_upload_is_ingested_in_parts_and_becomes_searchable_only_when_ready()
    {
        var result = await UploadAsync("large", "turbines", LargeText("Halvorsen"));
        Assert.Equal(IngestStatus.Accepted, result.Status);
        Assert.Equal(DocumentStatus.Queued, result.DocumentStatus);

        var info = await WaitAsync("large", "turbines");
        Assert.Equal(DocumentStatus.Ready, info.Status);
        Assert.True(info.ChunkCount > 32, $"{info.ChunkCount} chunks");
        var chunks = (await Document("large", "turbines").GetChunksAsync())!.Chunks;
        Assert.Equal(info.ChunkCount, chunks.Length);
        Assert.Equal(Enumerable.Range(0, chunks.Length), chunks.Select(c => c.ChunkIndex).Order());

        var hits = await Query("large").SearchAsync("Halvorsen turbine number 59", new SearchOptions(Mode: SearchMode.Bm25));
        Assert.NotNull(hits);
        Assert.Contains(hits.Hits, h => h.DocumentId == "turbines" && h.Text.Contains("turbine number 59", StringComparison.Ordinal));

        var again = await UploadAsync("large", "turbines", LargeText("Halvorsen"));
        Assert.Equal(IngestStatus.Unchanged, again.Status);
    }

    [Fact]
    public async Task Transient_storage_failures_are_retried_with_backoff_until_the_document_is_ready()
    {
        ClusterFixture.Store.FailCommits("retried", 2);
        var result = await UploadAsync("retries", "retried", LargeText("Ostergaard"));
        Assert.Equal(IngestStatus.Accepted, result.Status);

        var info = await WaitAsync("retries", "retried");
        Assert.Equal(DocumentStatus.Ready, info.Status);
        Assert.Equal(3, info.Attempts);
        Assert.Null(info.Error);
        var hits = await Query("retries").SearchAsync("Ostergaard turbine", new SearchOptions(Mode: SearchMode.Bm25));
        Assert.Contains(hits!.Hits, h => h.DocumentId == "retried");
    }

    [Fact]
    public async Task A_version_that_keeps_failing_is_given_up_while_the_previous_one_stays_served_unmixed()
    {
        var first = await Document("giveup", "manual").UpsertAsync(new DocumentInput("The Brennecke pump manual says: open valve A before starting the pump.", "Pump manual"));
        Assert.Equal(IngestStatus.Created, first.Status);

        ClusterFixture.Store.FailCommits("manual", 100);
        var second = await UploadAsync("giveup", "manual", LargeText("Quarterwick"));
        Assert.Equal(IngestStatus.Accepted, second.Status);

        var info = await WaitAsync("giveup", "manual");
        ClusterFixture.Store.FailCommits("manual", 0);
        Assert.Equal(DocumentStatus.Failed, info.Status);
        Assert.Equal(4, info.Attempts);
        Assert.Contains("Gave up after 4 attempts", info.Error, StringComparison.Ordinal);
        Assert.Contains("injected storage failure", info.Error, StringComparison.Ordinal);
        Assert.True(info.Searchable);
        Assert.Equal("Pump manual", info.Title); // the served version's

        var chunks = (await Document("giveup", "manual").GetChunksAsync())!.Chunks;
        var chunk = Assert.Single(chunks);
        Assert.Contains("Brennecke", chunk.Text, StringComparison.Ordinal);
        var hits = await Query("giveup").SearchAsync("Quarterwick turbine", new SearchOptions(Mode: SearchMode.Bm25, TopK: 20));
        Assert.DoesNotContain(hits!.Hits, h => h.Text.Contains("Quarterwick", StringComparison.Ordinal));

        var failed = await fixture.Grains.GetGrain<ICollectionGrain>(GrainKeys.Collection(Tenant, "giveup")).ListDocumentsAsync();
        Assert.Equal(DocumentStatus.Failed, Assert.Single(failed).Status);
    }

    [Fact]
    public async Task Large_text_sent_as_json_is_queued_too()
    {
        var result = await Document("json", "big").UpsertAsync(new DocumentInput(LargeText("Ravnsborg"), "Big"));
        Assert.Equal(IngestStatus.Accepted, result.Status);
        var info = await WaitAsync("json", "big");
        Assert.Equal(DocumentStatus.Ready, info.Status);
        Assert.Null(info.Text); // large texts are not kept whole in the document record
    }
}
