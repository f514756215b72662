using System.Net;
using System.Net.Http.Json;

namespace OrleansRag.Tests.Http;

/// <summary>The Prometheus scrape endpoint carries OrleansRag's, Orleans', ASP.NET Core's and the runtime's metrics.</summary>
[Collection(HostCollection.Name)]
public sealed class TelemetryTests(RagHostFixture host)
{
    [Fact]
    public async Task Metrics_endpoint_serves_orleans_http_and_runtime_metrics_in_prometheus_format()
    {
        await host.PutAsync("telemetry", "t", "Telemetry makes a service observable.");
        using (var ask = await host.Http.PostAsJsonAsync("v1/collections/telemetry/ask", new { question = "What makes a service observable?" }))
        {
            ask.EnsureSuccessStatusCode();
        }

        // The exporter caches a scrape for a short while; the second read sees the requests above.
        string body = "";
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !body.Contains("http_server_request_duration", StringComparison.Ordinal))
        {
            using var response = await host.Http.GetAsync("metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            body = await response.Content.ReadAsStringAsync();
            await Task.Delay(500);
        }

        Assert.Contains("# TYPE", body, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration", body, StringComparison.Ordinal);
        Assert.Contains("orleans_", body, StringComparison.Ordinal);
        Assert.Contains("dotnet_", body, StringComparison.Ordinal);
    }
}
