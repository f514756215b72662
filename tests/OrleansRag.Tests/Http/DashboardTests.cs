using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Http;

/// <summary>The Orleans Dashboard on the silo: its page and data endpoint over HTTP, and its silo list in a real browser.</summary>
[Collection(HostCollection.Name)]
public sealed class DashboardTests(RagHostFixture host)
{
    [Fact]
    public async Task Dashboard_page_and_cluster_data_are_served_to_loopback_clients()
    {
        using var page = await host.Http.GetAsync("dashboard/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);

        Assert.Equal(1, await CountersShowSiloAsync());
    }

    /// <summary>
    /// The dashboard gathers counters every second, starting with the host: polls (bounded) until this silo shows up in
    /// them and returns the silo count. Before the first gathering the counters' host-count history is null (Orleans
    /// Dashboard 10.4.2, `DashboardCounters()`), and the page's script fails mapping it, as a person opening it that early would see.
    /// </summary>
    private async Task<int> CountersShowSiloAsync()
    {
        var silos = 0;
        await Infrastructure.Eventually.WaitUntilAsync(async () =>
        {
            using var stats = await host.Http.GetAsync("dashboard/DashboardCounters");
            Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
            silos = JsonDocument.Parse(await stats.Content.ReadAsStringAsync()).RootElement.GetProperty("totalActiveHostCount").GetInt32();
            return silos >= 1;
        }, TimeSpan.FromSeconds(20), "this silo in the dashboard's counters", TimeSpan.FromMilliseconds(500));
        return silos;
    }

    [Fact]
    public async Task Headless_chromium_shows_the_silo_in_the_dashboards_silo_list()
    {
        Assert.True(File.Exists("/usr/bin/chromium"), "Debian's chromium is not installed (apt-get install chromium; test.sh does it).");
        await CountersShowSiloAsync(); // the page is opened once the dashboard has data, as in use
        var silo = host.App.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.Endpoint.ToString();
        var screenshot = Path.Combine(AppContext.BaseDirectory, "screenshots", "dashboard-silos.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        File.Delete(screenshot);

        var result = await ExternalProcess.RunAsync(
            "node", ["dashboard-screenshot.mjs", new Uri(host.BaseAddress, "dashboard/").ToString(), screenshot, silo],
            TestPaths.Repository("tests", "tools"), timeout: TimeSpan.FromMinutes(2));

        Assert.True(result.ExitCode == 0, result.ToString());
        using var report = JsonDocument.Parse(result.Output);
        Assert.Equal([silo], report.RootElement.GetProperty("silos").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("Orleans Dashboard", report.RootElement.GetProperty("title").GetString());
        Assert.Empty(report.RootElement.GetProperty("pageErrors").EnumerateArray());
        var png = await File.ReadAllBytesAsync(screenshot);
        Assert.True(png.Length > 10_000, $"screenshot is only {png.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
    }
}
