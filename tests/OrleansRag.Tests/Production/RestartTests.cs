using System.Net.Http.Json;
using OrleansRag.Client;

namespace OrleansRag.Tests.Production;

/// <summary>Stop every silo, start new ones: collections, documents and chunks come back from Redis.</summary>
public sealed class RestartTests
{
    private static readonly (string Id, string Text)[] Corpus =
    [
        ("nile", "The Nile is about 6,650 kilometres long and flows north into the Mediterranean Sea."),
        ("everest", "Mount Everest is 8,849 metres high and lies on the border of Nepal and China."),
        ("sahara", "The Sahara is the largest hot desert and covers much of North Africa."),
        ("amazon", "The Amazon rainforest produces a large share of the oxygen released over South America."),
        ("baikal", "Lake Baikal in Siberia is the deepest lake in the world, at about 1,642 metres."),
    ];

    private static readonly string[] Questions =
    [
        "How long is the Nile?", "How high is Mount Everest?", "What is the deepest lake?", "Where is the Sahara?",
    ];

    [Fact]
    public async Task A_full_cluster_restart_brings_everything_back_with_the_same_answers()
    {
        await using var cluster = new ProductionCluster();
        var container = "restart" + Guid.NewGuid().ToString("N")[..8];
        cluster.ExtraSettings["BlobStore:Kind"] = "AzureBlob"; // originals in Azure Blob Storage (Azurite on 127.0.0.1)
        cluster.ExtraSettings["BlobStore:AzureBlob:ConnectionString"] = ProductionServers.Azurite;
        cluster.ExtraSettings["BlobStore:AzureBlob:Container"] = container;
        cluster.ExtraSettings["Sources:AllowPrivateNetworks"] = "true"; // the S3 source's server is on 127.0.0.1
        cluster.ExtraSettings["Security:ClusterSecret"] = "Hq2mV8xR4tY7uI1oP3aS5dF6gJ9kL0zX2cB4nM6qW8e="; // its secret key encrypted in Redis
        await cluster.StartSilosAsync(2);
        var rag = await cluster.ConnectClientAsync();
        foreach (var (id, text) in Corpus)
        {
            await rag.IngestAsync("geo", id, new DocumentInput(text, id));
        }

        var pdf = Infrastructure.TestDocuments.Pdf(["Atlas of rivers.", "The Danube flows through ten countries before it reaches the Black Sea."], title: "Atlas");
        using (var body = new ByteArrayContent(pdf))
        {
            body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(ContentTypes.Pdf);
            using var put = await cluster.Silos[0].Http.PutAsync("v1/collections/geo/documents/atlas.pdf", body);
            Assert.Equal(System.Net.HttpStatusCode.Accepted, put.StatusCode);
        }

        await Infrastructure.Eventually.WaitUntilAsync(async () => (await rag.GetAsync("geo", "atlas.pdf"))?.Status == DocumentStatus.Ready,
            TimeSpan.FromMinutes(2), "the PDF to be ready");

        var before = await SnapshotAsync(rag);

        // A source in a bucket: its settings, encrypted secret, files and last sync are grain state in Redis too.
        var bucket = "restart-src" + Guid.NewGuid().ToString("N")[..8];
        var sourceStore = Blobs.BlobStores.Create(new Blobs.BlobStoreOptions
        {
            Kind = Blobs.BlobStoreKind.S3,
            S3 = new Blobs.S3StoreOptions { ServiceUrl = ProductionServers.S3, Bucket = bucket, AccessKey = "S3RVER", SecretKey = "S3RVER" },
        });
        await sourceStore.PutAsync("lakes.md", System.Text.Encoding.UTF8.GetBytes("Lake Baikal is the deepest lake on Earth."), "text/markdown");
        await sourceStore.PutAsync("deserts.md", System.Text.Encoding.UTF8.GetBytes("The Atacama is the driest desert."), "text/markdown");
        var since = DateTimeOffset.UtcNow;
        Assert.NotNull(await rag.AddSourceAsync("geo-sources", "bucket",
            new SourceSettings(SourceKind.S3, Bucket: bucket, ServiceUrl: ProductionServers.S3, AccessKey: "S3RVER"), new SourceSecrets(SecretKey: "S3RVER")));
        var synced = await rag.WaitForSyncAsync("geo-sources", "bucket", since, TimeSpan.FromMinutes(2));
        Assert.Equal((SourceSyncState.Succeeded, 2), (synced!.State, synced.LastSync!.Added));

        // Alerting state is grain state in Redis too: an edited rule and a silence survive the restart.
        using (var rule = await cluster.Silos[0].Http.PutAsJsonAsync("v1/alert-rules/GeoRule", new { metric = "cpu_percent", window = "2m", comparator = ">", threshold = 97, labels = new { team = "geo" } }))
        {
            Assert.Equal(System.Net.HttpStatusCode.Created, rule.StatusCode);
        }

        using (var silence = await cluster.Silos[1].Http.PostAsJsonAsync("v1/silences", new { matchers = new { alertname = "GeoRule" }, duration = "1h", comment = "restart" }))
        {
            Assert.Equal(System.Net.HttpStatusCode.Created, silence.StatusCode);
        }

        await cluster.StopAllAsync();
        await cluster.StartSilosAsync(2);
        var after = await SnapshotAsync(await cluster.ConnectClientAsync());

        Assert.Equal(before.Documents, after.Documents);
        Assert.Equal(before.Answers, after.Answers);
        Assert.Equal(before.Hits, after.Hits);

        // The source came back as it was, and its next sync (on a silo that reads the secret back) finds nothing new.
        var client = await cluster.ConnectClientAsync();
        var source = await client.GetSourceAsync("geo-sources", "bucket");
        Assert.Equal((SourceSyncState.Succeeded, 2, synced.LastSync.FinishedAt), (source!.State, source.Documents, source.LastSync!.FinishedAt));
        Assert.Equal(["secretKey"], source.Secrets);
        await sourceStore.PutAsync("rivers.md", System.Text.Encoding.UTF8.GetBytes("The Amazon carries the most water of any river."), "text/markdown");
        since = DateTimeOffset.UtcNow;
        await client.SyncSourceAsync("geo-sources", "bucket");
        var resynced = await client.WaitForSyncAsync("geo-sources", "bucket", since, TimeSpan.FromMinutes(2));
        Assert.Equal((SourceSyncState.Succeeded, 1, 2), (resynced!.State, resynced.LastSync!.Added, resynced.LastSync.Unchanged));

        // The original came back too, from Azure Blob Storage, through another silo than the one it was sent to.
        Assert.Equal(pdf, await cluster.Silos[1].Http.GetByteArrayAsync("v1/collections/geo/documents/atlas.pdf/content"));
        var kept = new List<string>();
        await foreach (var blob in Storage.BlobStoreTests.Store(new Blobs.BlobStoreOptions
        {
            Kind = Blobs.BlobStoreKind.AzureBlob,
            AzureBlob = new Blobs.AzureBlobStoreOptions { ConnectionString = ProductionServers.Azurite, Container = container },
        }).ListAsync("originals/"))
        {
            kept.Add(blob.Key);
        }

        Assert.Equal(Corpus.Length + 1 + 3, kept.Count); // one per document (the source's three too), each the served version's

        var restored = await cluster.Silos[1].Http.GetFromJsonAsync<System.Text.Json.JsonElement>("v1/alert-rules/GeoRule");
        Assert.Equal(97, restored.GetProperty("threshold").GetDouble());
        Assert.Equal("geo", restored.GetProperty("labels").GetProperty("team").GetString());
        var silences = await cluster.Silos[0].Http.GetFromJsonAsync<System.Text.Json.JsonElement>("v1/silences");
        Assert.Contains(silences.EnumerateArray(), s => s.GetProperty("comment").GetString() == "restart");
    }

    private static async Task<(string Documents, string Answers, string Hits)> SnapshotAsync(IRagClient rag)
    {
        var documents = string.Join("|", (await rag.ListAsync("geo")).Select(d => $"{d.Id}:{d.ChunkCount}:{d.ContentHash}"));
        var answers = new List<string>();
        var hits = new List<string>();
        foreach (var question in Questions)
        {
            var answer = await rag.AskAsync("geo", question);
            answers.Add(answer.Answer + " " + string.Join(",", answer.Citations.Select(c => $"{c.N}={c.DocumentId}")));
            hits.Add(string.Join(",", (await rag.SearchAsync("geo", question, new SearchOptions(5))).Hits.Select(h => $"{h.ChunkId}:{h.Score:F4}")));
        }

        return (documents, string.Join("\n", answers), string.Join("\n", hits));
    }
}
