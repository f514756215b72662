using System.Diagnostics;
using System.Text;
using OrleansRag.Client;
using Xunit.Abstractions;

namespace OrleansRag.Tests.Production;

/// <summary>
/// kill -9 of the silo that is ingesting a large new version of a document, on three silo processes with
/// PostgreSQL membership and Redis storage: readers see the previous version or the new one, never a mix, and
/// the new version is resumed on another silo (reminder) and completed.
/// </summary>
public sealed class LargeIngestFailoverTests(ITestOutputHelper output)
{
    private const string Collection = "bigfail";
    private const string Id = "manual";

    private static string NewVersion()
    {
        // ~700 distinct chunks: long enough to be killed mid-way on a 2-core machine.
        var text = new StringBuilder();
        for (var i = 0; i < 700; i++)
        {
            text.Append($"BRAVOVERSION section {i}. Pump {i} of station {i * 13 % 97} is primed with {i % 11 + 2} litres of water before it starts. ")
                .Append($"Its pressure gauge {i * 7 % 89} must read between {i % 5 + 1} and {i % 5 + 4} bar after {i % 30 + 10} seconds.\n\n");
        }

        return text.ToString();
    }

    [Fact]
    public async Task Killing_the_ingesting_silo_leaves_the_previous_version_or_the_new_one_never_a_mix()
    {
        await using var cluster = new ProductionCluster();
        cluster.ExtraSettings["Ingestion:SyncMaxBytes"] = "16384"; // the new version goes to the background
        var s3 = new Blobs.S3StoreOptions { ServiceUrl = ProductionServers.S3, Bucket = "fail" + Guid.NewGuid().ToString("N")[..8], AccessKey = "S3RVER", SecretKey = "S3RVER" };
        cluster.ExtraSettings["BlobStore:Kind"] = "S3"; // originals in an S3 bucket (s3rver on 127.0.0.1)
        cluster.ExtraSettings["BlobStore:S3:ServiceUrl"] = s3.ServiceUrl;
        cluster.ExtraSettings["BlobStore:S3:Bucket"] = s3.Bucket;
        cluster.ExtraSettings["BlobStore:S3:AccessKey"] = s3.AccessKey;
        cluster.ExtraSettings["BlobStore:S3:SecretKey"] = s3.SecretKey;
        await cluster.StartSilosAsync(3);
        var rag = await cluster.ConnectFailFastClientAsync(); // a read on its way to the killed silo fails after 5 s, not 30
        const string Alpha = "ALPHAVERSION of the pump manual: prime every pump with water before it starts.";
        var first = await rag.IngestAsync(Collection, Id, new DocumentInput(Alpha, "Pump manual"));
        Assert.Equal(IngestStatus.Created, first.Status);
        Assert.Equal(Alpha, await ReadOriginalAsync(rag));

        var bytes = Encoding.UTF8.GetBytes(NewVersion());
        using var stream = new MemoryStream(bytes);
        var accepted = await rag.IngestFileAsync(Collection, Id, stream, ContentTypes.PlainText, "Pump manual v2");
        Assert.Equal(IngestStatus.Accepted, accepted.Status);

        var clock = Stopwatch.StartNew();
        var limit = TimeSpan.FromMinutes(6);
        SiloProcess? victim = null;
        TimeSpan? killedAt = null;
        var reads = 0;
        var failedReads = 0;
        var sawOld = 0;
        var sawNew = 0;
        DocumentInfo? last = null;
        while (clock.Elapsed < limit)
        {
            try
            {
                last = await rag.GetAsync(Collection, Id);
                Assert.NotNull(last);
                if (victim is null && last.Status == DocumentStatus.Processing && last.Stage is "embed" or "index" && last.ProcessingSilo is { } silo)
                {
                    victim = cluster.Silos.Single(s => silo.Contains($":{s.SiloPort}:", StringComparison.Ordinal));
                    killedAt = clock.Elapsed;
                    victim.Kill();
                    output.WriteLine($"killed the silo on port {victim.SiloPort} at {killedAt.Value.TotalSeconds:F1} s while it was at stage {last.Stage} (attempt {last.Attempts})");
                }

                var hits = (await rag.SearchAsync(Collection, "ALPHAVERSION BRAVOVERSION pump primed water", new SearchOptions(TopK: 100, Mode: SearchMode.Bm25))).Hits
                    .Where(h => h.DocumentId == Id).ToList();
                var old = hits.Count(h => h.Text.Contains("ALPHAVERSION", StringComparison.Ordinal));
                var @new = hits.Count(h => h.Text.Contains("BRAVOVERSION", StringComparison.Ordinal));
                Assert.False(old > 0 && @new > 0, $"a search saw both versions at {clock.Elapsed.TotalSeconds:F1} s");
                sawOld += old > 0 ? 1 : 0;
                sawNew += @new > 0 ? 1 : 0;
                reads++;
                if (last.Status == DocumentStatus.Ready && @new > 0)
                {
                    break;
                }

                Assert.NotEqual(DocumentStatus.Failed, last.Status);
            }
            catch (Exception exception) when (exception is not Xunit.Sdk.XunitException)
            {
                failedReads++; // a read that met the dead silo before the cluster noticed
            }

            await Task.Delay(200);
        }

        Assert.NotNull(victim);
        Assert.NotNull(last);
        Assert.Equal(DocumentStatus.Ready, last.Status);
        Assert.True(last.Attempts >= 2, $"{last.Attempts} attempts: the killed attempt must have been counted and a new one made");
        Assert.Equal("Pump manual v2", last.Title);
        var chunks = last.ChunkCount;
        Assert.True(chunks > 100, $"{chunks} chunks");
        Assert.True(sawOld > 0, "the previous version was served while the new one was processed");
        var all = (await rag.SearchAsync(Collection, "BRAVOVERSION section 699 pump primed", new SearchOptions(TopK: 5, Mode: SearchMode.Bm25))).Hits;
        Assert.Contains(all, h => h.DocumentId == Id && h.Text.Contains("section 699.", StringComparison.Ordinal));
        var stale = (await rag.SearchAsync(Collection, "ALPHAVERSION", new SearchOptions(TopK: 5, Mode: SearchMode.Bm25))).Hits;
        Assert.DoesNotContain(stale, h => h.Text.Contains("ALPHAVERSION", StringComparison.Ordinal));

        // The original is the new version's, and the bucket holds that one only: the previous one was removed after the
        // commit, and the killed attempt's (same version) was overwritten by the attempt that completed.
        Assert.Equal(Encoding.UTF8.GetString(bytes), await ReadOriginalAsync(rag));
        var kept = new List<string>();
        await foreach (var blob in Storage.BlobStoreTests.Store(new Blobs.BlobStoreOptions { Kind = Blobs.BlobStoreKind.S3, S3 = s3 }).ListAsync("originals/"))
        {
            kept.Add(blob.Key);
        }

        Assert.Single(kept);
        output.WriteLine($"large ingest failover: ready {(clock.Elapsed - killedAt!.Value).TotalSeconds:F1} s after the kill, attempt {last.Attempts}, {chunks} chunks; " +
            $"{reads} reads ({sawOld} saw only the old version, {sawNew} only the new, none both), {failedReads} reads failed during the failover");
    }

    private static async Task<string> ReadOriginalAsync(IRagClient rag)
    {
        await using var content = (await rag.OpenContentAsync(Collection, Id))!;
        using var reader = new StreamReader(content, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }
}
