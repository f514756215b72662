using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;

namespace OrleansRag.Tests.Http;

/// <summary>
/// The Prometheus scrape endpoint carries OrleansRag's, Orleans', ASP.NET Core's and the runtime's metrics; one
/// trace follows a question from HTTP through the grain calls to the embed, per-shard retrieve and generate spans.
/// </summary>
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
        await Infrastructure.Eventually.WaitUntilAsync(async () =>
        {
            using var response = await host.Http.GetAsync("metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            body = await response.Content.ReadAsStringAsync();
            return body.Contains("http_server_request_duration", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(20), "the HTTP request metrics on /metrics", TimeSpan.FromMilliseconds(500));

        Assert.Contains("# TYPE", body, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration", body, StringComparison.Ordinal);
        Assert.Contains("orleans_", body, StringComparison.Ordinal);
        Assert.Contains("dotnet_", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ask_is_one_trace_from_http_through_grain_calls_to_embed_retrieve_and_generate()
    {
        await host.PutAsync("tracing", "t", "Traces follow a request across processes. Spans measure each step.");

        // Collect every span of one trace id, chosen by the test and sent as a W3C traceparent header.
        var traceId = ActivityTraceId.CreateRandom();
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.TraceId == traceId ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
            ActivityStopped = activity =>
            {
                if (activity.TraceId == traceId)
                {
                    spans.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/collections/tracing/ask")
        {
            Content = JsonContent.Create(new { question = "What do traces follow?" }),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        using (var response = await host.Http.SendAsync(request))
        {
            response.EnsureSuccessStatusCode();
        }

        // The server span stops after the response is written: wait (bounded) for it.
        await Infrastructure.Eventually.WaitUntilAsync(
            () => Task.FromResult(spans.Any(s => s.Kind == ActivityKind.Server && s.Source.Name == "Microsoft.AspNetCore")),
            TimeSpan.FromSeconds(10), "the request's server span", TimeSpan.FromMilliseconds(50));

        var all = spans.ToArray();
        var names = all.Select(s => s.OperationName).ToHashSet();
        Assert.Contains(all, s => s.Source.Name == "Microsoft.AspNetCore");
        Assert.Contains(all, s => s.DisplayName.StartsWith("IQueryGrain/", StringComparison.Ordinal)); // grain calls
        Assert.Contains(all, s => s.DisplayName.StartsWith("IRetrievalShardGrain/", StringComparison.Ordinal));
        Assert.Contains("embed", names);
        Assert.Contains("generate", names);
        var shards = all.Where(s => s.OperationName == "retrieve").Select(s => s.GetTagItem("orleansrag.shard")).Distinct().Count();
        Assert.True(shards >= 2, $"expected a retrieve span per shard, saw {shards} shard(s) in: {string.Join(", ", names)}");

        // Every span's parent is another span of the same trace (or the caller's, for the root).
        var ids = all.Select(s => s.SpanId).ToHashSet();
        Assert.All(all.Where(s => s.Source.Name != "Microsoft.AspNetCore"), s => Assert.Contains(s.ParentSpanId, ids));
    }
}
