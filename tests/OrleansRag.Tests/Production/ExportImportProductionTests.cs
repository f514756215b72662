using System.Net;
using System.Net.Http.Headers;
using OrleansRag.Tests.Http;

namespace OrleansRag.Tests.Production;

/// <summary>
/// A collection exported from the embedded default (one process, memory) and imported into a production-mode cluster
/// (PostgreSQL membership, Redis state, originals in a shared folder): the same documents, chunks and hits with the
/// same scores, and the originals byte for byte.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class ExportImportProductionTests(RagHostFixture host)
{
    [Fact]
    public async Task A_collection_moves_from_the_embedded_default_into_a_production_cluster_and_answers_identically()
    {
        var pdf = await ExportImportTests.SourceCollectionAsync(host.Http, "move-src");
        var archive = await host.Http.GetByteArrayAsync("v1/collections/move-src/export?sources=true");

        await using var cluster = new ProductionCluster();
        await cluster.StartSilosAsync(1);
        var silo = cluster.Silos[0].Http;
        using (var body = new ByteArrayContent(archive))
        {
            body.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
            using var imported = await silo.PostAsync("v1/collections/moved/import", body);
            Assert.True(imported.StatusCode == HttpStatusCode.Created, await imported.Content.ReadAsStringAsync());
        }

        var expected = (await ExportImportTests.SnapshotAsync(host.Http, "move-src")).Replace("move-src", "moved", StringComparison.Ordinal);
        Assert.Equal(expected, await ExportImportTests.SnapshotAsync(silo, "moved"));
        Assert.Equal(pdf, await silo.GetByteArrayAsync("v1/collections/moved/documents/ferry.pdf/content"));

        // And back out of the cluster: the archive it makes imports into the embedded default identically too.
        var again = await silo.GetByteArrayAsync("v1/collections/moved/export?sources=true");
        using (var body = new ByteArrayContent(again))
        {
            using var imported = await host.Http.PostAsync("v1/collections/move-back/import", body);
            Assert.True(imported.StatusCode == HttpStatusCode.Created, await imported.Content.ReadAsStringAsync());
        }

        Assert.Equal(expected.Replace("moved", "move-back", StringComparison.Ordinal), await ExportImportTests.SnapshotAsync(host.Http, "move-back"));
    }
}
