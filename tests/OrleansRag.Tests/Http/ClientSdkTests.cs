using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansRag.Client;

namespace OrleansRag.Tests.Http;

/// <summary>
/// Another .NET application (its own host with an Orleans client, no silo) uses <see cref="IRagClient"/>,
/// registered with one DI call, against the running silo through its gateway.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class ClientSdkTests(RagHostFixture host)
{
    private async Task<IHost> StartClientHostAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleansClient(client => client.UseLocalhostClustering(host.GatewayPort, serviceId: "orleans-rag", clusterId: host.ClusterId));
        builder.Services.AddRagClient();
        var clientHost = builder.Build();
        await clientHost.StartAsync();
        return clientHost;
    }

    [Fact]
    public async Task A_document_replaced_while_its_original_is_read_fails_the_read_instead_of_mixing_versions()
    {
        var first = new byte[60_000]; // within the test host's document limit
        Array.Fill(first, (byte)'a');
        "First version.\n"u8.CopyTo(first);
        using var clientHost = await StartClientHostAsync();
        var client = clientHost.Services.GetRequiredService<IRagClient>();
        await client.CreateCollectionAsync("originals3", new CollectionSettings());
        await using (var upload = new MemoryStream(first))
        {
            await client.IngestFileAsync("originals3", "big", upload, ContentTypes.PlainText, "Big");
        }

        await Infrastructure.Eventually.WaitUntilAsync(async () => (await client.GetAsync("originals3", "big"))?.Status == DocumentStatus.Ready, TimeSpan.FromMinutes(3), "the first version to be ready");
        await using (var whole = (await client.OpenContentAsync("originals3", "big"))!)
        {
            var copy = new MemoryStream();
            await whole.CopyToAsync(copy);
            Assert.Equal(first, copy.ToArray());
        }

        // Opened on the first version, read after the second replaced it (the stream reads a megabyte at a time, so a
        // file this small is one read): the read fails rather than hand out the second version's bytes as the first's.
        await using var reading = (await client.OpenContentAsync("originals3", "big"))!;
        Assert.Equal(first.Length, reading.Length);
        await client.IngestAsync("originals3", "big", new DocumentInput("Second version, small.", "Big"));
        var piece = new byte[1024];
        var changed = await Assert.ThrowsAsync<IOException>(async () => await reading.ReadExactlyAsync(piece));
        Assert.IsType<DocumentChangedException>(changed.InnerException);
        await using var again = (await client.OpenContentAsync("originals3", "big"))!;
        using var reader = new StreamReader(again);
        Assert.Equal("Second version, small.", await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task Separate_client_host_ingests_lists_searches_asks_and_deletes()
    {
        using var clientHost = await StartClientHostAsync();
        var rag = clientHost.Services.GetRequiredService<IRagClient>();

        var created = await rag.IngestAsync("sdk", "volcano", new DocumentInput("Volcanoes erupt when magma rises through cracks in the crust and reaches the surface.", "Volcanoes"));
        Assert.Equal(IngestStatus.Created, created.Status);
        await rag.IngestAsync("sdk", "glacier", new DocumentInput("Glaciers are slow rivers of ice that carve valleys over thousands of years.", "Glaciers"));
        Assert.Equal(IngestStatus.Unchanged, (await rag.IngestAsync("sdk", "volcano", new DocumentInput("Volcanoes erupt when magma rises through cracks in the crust and reaches the surface.", "Volcanoes"))).Status);

        var list = await rag.ListAsync("sdk");
        Assert.Equal(["glacier", "volcano"], list.Select(d => d.Id));

        var search = await rag.SearchAsync("sdk", "why do volcanoes erupt", new SearchOptions(1));
        Assert.Equal("volcano", Assert.Single(search.Hits).DocumentId);

        var answer = await rag.AskAsync("sdk", "What makes a volcano erupt?");
        Assert.Contains("magma", answer.Answer, StringComparison.Ordinal);
        Assert.Equal("volcano", answer.Citations[0].DocumentId);

        // The HTTP API sees what the SDK wrote: one cluster, one truth.
        var viaHttp = await host.Http.GetAsync("v1/collections/sdk/documents/glacier");
        Assert.Equal(System.Net.HttpStatusCode.OK, viaHttp.StatusCode);

        Assert.True(await rag.DeleteAsync("sdk", "glacier"));
        Assert.Null(await rag.GetAsync("sdk", "glacier"));
        await Assert.ThrowsAsync<RagNotFoundException>(() => rag.SearchAsync("sdk-missing", "anything"));
        await Assert.ThrowsAsync<RagValidationException>(() => rag.IngestAsync("sdk", "bad/id", new DocumentInput("x")));
        await Assert.ThrowsAsync<RagValidationException>(() => rag.AskAsync("sdk", "q", new SearchOptions(500)));

        await clientHost.StopAsync();
    }
}
