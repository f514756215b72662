using System.Net;
using System.Text.Json;

namespace OrleansRag.Tests.Http;

/// <summary>The Orleans Dashboard on the silo: its page and its data endpoint over HTTP.</summary>
[Collection(HostCollection.Name)]
public sealed class DashboardTests(RagHostFixture host)
{
    [Fact]
    public async Task Dashboard_page_and_cluster_data_are_served_to_loopback_clients()
    {
        using var page = await host.Http.GetAsync("dashboard/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);

        // The dashboard gathers counters every second: poll (bounded) until this silo shows up.
        var silos = 0;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (silos < 1 && DateTime.UtcNow < deadline)
        {
            using var stats = await host.Http.GetAsync("dashboard/DashboardCounters");
            Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
            silos = JsonDocument.Parse(await stats.Content.ReadAsStringAsync()).RootElement.GetProperty("totalActiveHostCount").GetInt32();
            await Task.Delay(silos < 1 ? 500 : 0);
        }

        Assert.Equal(1, silos);
    }
}
