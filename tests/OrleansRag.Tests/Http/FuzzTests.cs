using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace OrleansRag.Tests.Http;

/// <summary>
/// A bounded fuzz run over every endpoint of the real host (127.0.0.1, fixed seed, a few thousand requests): random
/// and truncated bodies, wrong types, huge strings, deep nesting, unicode edge cases, path tricks and odd ids, wrong
/// methods and content types, slow bodies. No answer may be a 5xx, the silo stays alive, and its memory comes back.
/// Every endpoint comes from the service's own OpenAPI document, so a new endpoint is fuzzed without a change here.
/// </summary>
public sealed class FuzzTests(FuzzTests.FuzzHost host, ITestOutputHelper output) : IClassFixture<FuzzTests.FuzzHost>
{
    private const int Seed = 20261203;
    private const int WarmUpRequests = 400;
    private const int Requests = 3000;
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(4);

    /// <summary>Its own host: documents the fuzz run writes stay out of other tests' way.</summary>
    public sealed class FuzzHost : RagHostFixture;

    private static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];

    private static readonly string[] ContentTypes =
    [
        "application/json", "application/json", "application/json", "application/json; charset=utf-16", "text/plain", "text/markdown",
        "text/html", "application/pdf", "multipart/form-data; boundary=xyz", "application/x-www-form-urlencoded", "application/xml",
        "???", "application/json; charset=nonsense", "",
    ];

    /// <summary>Path parameter values: ordinary, odd, hostile.</summary>
    private static readonly string[] Ids =
    [
        "doc-1", "fuzz", "sample", "with space", "hash#tag", "per%cent", "ünïcødé", "日本語の文書", "😀emoji", "..", ".", ".hidden",
        "a/b", "a\\b", "%2e%2e", "%00", "\u202Eevil", "tab\tid", "new\nline", new string('x', 300), "ok~:@._-", "?query", "semi;colon",
        "+plus+", "quote\"d", "<script>", "nul\0id",
    ];

    private static readonly string[] Queries =
    [
        "", "", "", "?status=ready", "?status=bogus", "?limit=-1", "?limit=99999999999999", "?limit=abc", "?scope=cluster", "?scope=%00",
        "?window=0s", "?window=-5m", "?window=9999999999h", "?mode=%ud800", "?a=1&a=2", "?" + new string('q', 5000),
    ];

    [Fact]
    public async Task Thousands_of_hostile_requests_get_no_5xx_leave_the_silo_alive_and_its_memory_comes_back()
    {
        var endpoints = await EndpointsAsync();
        Assert.True(endpoints.Count >= 20, $"only {endpoints.Count} endpoints found in the OpenAPI document");
        var random = new Random(Seed);
        var statuses = new SortedDictionary<int, int>();
        var failures = new List<string>();
        var closed = new List<string>();
        var clock = Stopwatch.StartNew();
        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

        async Task RunAsync(int count)
        {
            for (var i = 0; i < count && clock.Elapsed < Budget; i++)
            {
                var (method, path, content, description) = Request(random, endpoints);
                if (!Uri.TryCreate(path, UriKind.Relative, out var uri))
                {
                    content?.Dispose();
                    continue; // not even a client would send it
                }

                using var request = new HttpRequestMessage(new HttpMethod(method), uri) { Content = content };
                request.Headers.ConnectionClose = true; // a fresh connection each: a refused body never spoils the next request
                int status;
                string body;
                try
                {
                    using var response = await http.SendAsync(request);
                    status = (int)response.StatusCode;
                    body = method == "HEAD" ? "" : await response.Content.ReadAsStringAsync();
                }
                catch (HttpRequestException exception)
                {
                    status = -1; // the server closed the connection: allowed only for a body over the limit, refused mid-way
                    body = exception.Message;
                    if ((content?.Headers.ContentLength ?? 0) <= RagHostFixture.MaxDocumentBytes)
                    {
                        closed.Add($"{method} {Shorten(path)} {description}: {exception.Message}");
                    }
                }

                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                if (status >= 500 && failures.Count < 20)
                {
                    failures.Add($"{method} {Shorten(path)} ({description}) -> {status}: {Shorten(body)}");
                }
            }
        }

        // Warm up (JIT, pools, the model's buffers), then measure memory, then the run proper with slow bodies beside it.
        await RunAsync(WarmUpRequests);
        var before = SettledWorkingSet();
        var heapBefore = GC.GetTotalMemory(false);
        var slow = Task.WhenAll(Enumerable.Range(0, 4).Select(i => SlowBodyAsync(host.BaseAddress, i)));
        await RunAsync(Requests);
        var slowStatuses = await slow;
        var after = SettledWorkingSet();
        output.WriteLine($"fuzz: {statuses.Values.Sum()} requests in {clock.Elapsed.TotalSeconds:F0} s over {endpoints.Count} endpoints (seed {Seed})");
        output.WriteLine("fuzz: status counts " + string.Join(", ", statuses.Select(s => $"{(s.Key < 0 ? "closed" : s.Key.ToString(System.Globalization.CultureInfo.InvariantCulture))}: {s.Value}")));
        output.WriteLine($"fuzz: slow bodies answered {string.Join(", ", slowStatuses)}");
        output.WriteLine($"fuzz: working set {before / 1048576} MiB before, {after / 1048576} MiB after; managed heap {heapBefore / 1048576} MiB before, {GC.GetTotalMemory(false) / 1048576} MiB after");

        Assert.True(failures.Count == 0, "5xx answers:\n" + string.Join("\n", failures));
        Assert.All(slowStatuses, s => Assert.True(s is >= 200 and < 500, $"slow body: {s}"));
        Assert.True(statuses.Values.Sum() >= WarmUpRequests + (Requests / 2), $"only {statuses.Values.Sum()} requests within {Budget}");
        Assert.True(closed.Count == 0, "connections closed without an answer to a body within the limits:\n" + string.Join("\n", closed));

        // Alive and well: health, readiness, and an ordinary write and search still work.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("ready")).StatusCode);
        using (var put = await http.PutAsync("v1/collections/after-fuzz/documents/check", Json("{\"text\":\"Glaciers carve valleys as they move.\"}")))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using (var search = await http.PostAsync("v1/collections/after-fuzz/search", Json("{\"query\":\"how are valleys carved\"}")))
        {
            Assert.Equal(HttpStatusCode.OK, search.StatusCode);
            Assert.Contains("Glaciers", await search.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.True(after <= before * 1.2, $"working set grew from {before / 1048576} MiB to {after / 1048576} MiB (more than 20 %)");
    }

    [Fact]
    public async Task Document_ids_with_spaces_hash_percent_and_unicode_make_the_round_trip_and_bad_ones_get_400()
    {
        string[] good = ["with space", "hash#tag", "per%cent", "question?mark", "ünïcødé", "日本語の文書", "😀 emoji", "a+b=c&d", "quote\"d", "ok~:@._-", "Report (final) v2.pdf"];
        foreach (var id in good)
        {
            var path = $"v1/collections/odd-ids/documents/{Uri.EscapeDataString(id)}";
            using (var put = await host.Http.PutAsync(path, Json($"{{\"text\":\"Document {JsonEncodedText.Encode(id)} is about the migration of eels to the Sargasso Sea.\"}}")))
            {
                Assert.True(put.StatusCode == HttpStatusCode.Created, $"{id}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
                Assert.Equal("/" + path, put.Headers.Location?.OriginalString);
            }

            using var read = JsonDocument.Parse(await host.Http.GetStringAsync(path));
            Assert.Equal(id, read.RootElement.GetProperty("id").GetString());
        }

        using (var list = JsonDocument.Parse(await host.Http.GetStringAsync("v1/collections/odd-ids/documents")))
        {
            Assert.Equal(good.Order(StringComparer.Ordinal), list.RootElement.GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
        }

        using (var search = JsonDocument.Parse(await (await host.Http.PostAsync("v1/collections/odd-ids/search", Json("{\"query\":\"eels Sargasso\",\"topK\":20}"))).Content.ReadAsStringAsync()))
        {
            Assert.Equal(good.Order(StringComparer.Ordinal), search.RootElement.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("documentId").GetString()!).Distinct().Order(StringComparer.Ordinal));
        }

        foreach (var id in good)
        {
            Assert.Equal(HttpStatusCode.NoContent, (await host.Http.DeleteAsync($"v1/collections/odd-ids/documents/{Uri.EscapeDataString(id)}")).StatusCode);
        }

        foreach (var bad in new[] { " leading", "trailing ", "tab\tinside", "back\\slash", "a/b", new string('x', 257) }) // "a/b" escaped: %2F
        {
            using var put = await host.Http.PutAsync($"v1/collections/odd-ids/documents/{Uri.EscapeDataString(bad)}", Json("{\"text\":\"x\"}"));
            var body = await put.Content.ReadAsStringAsync();
            Assert.True(put.StatusCode == HttpStatusCode.BadRequest, $"{bad}: {(int)put.StatusCode} {body}");
            Assert.Contains("document id", body, StringComparison.Ordinal);
        }
    }

    /// <summary>Every route and method of the OpenAPI document, plus the pages outside /v1.</summary>
    private async Task<List<(string Method, string Template)>> EndpointsAsync()
    {
        using var document = JsonDocument.Parse(await host.Http.GetStringAsync("openapi/v1.json"));
        var endpoints = new List<(string, string)>();
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => Methods.Contains(o.Name.ToUpperInvariant())))
            {
                endpoints.Add((operation.Name.ToUpperInvariant(), path.Name.TrimStart('/')));
            }
        }

        endpoints.AddRange([("GET", ""), ("GET", "health"), ("GET", "ready"), ("GET", "metrics"), ("GET", "docs/"), ("GET", "openapi/v1.json"), ("GET", "app.js")]);
        return endpoints;
    }

    private static (string Method, string Path, HttpContent? Content, string Description) Request(Random random, List<(string Method, string Template)> endpoints)
    {
        var (method, template) = endpoints[random.Next(endpoints.Count)];
        if (random.NextDouble() < 0.15)
        {
            method = Methods[random.Next(Methods.Length)];
        }

        var path = System.Text.RegularExpressions.Regex.Replace(template, "\\{[^}]+\\}", _ => PathValue(random)) + Queries[random.Next(Queries.Length)];
        if (method is "GET" or "HEAD" or "OPTIONS" && random.NextDouble() < 0.8)
        {
            return (method, path, null, "no body");
        }

        var (bytes, kind) = Body(random);
        var content = new ByteArrayContent(bytes);
        var type = ContentTypes[random.Next(ContentTypes.Length)];
        if (type.Length > 0)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", type);
        }

        return (method, path, content, $"{kind}, {type}");
    }

    private static string PathValue(Random random)
    {
        var id = Ids[random.Next(Ids.Length)];
        return random.Next(4) switch
        {
            0 => id.Replace("\n", "", StringComparison.Ordinal).Replace("\t", "", StringComparison.Ordinal).Replace("\0", "", StringComparison.Ordinal), // raw, as a careless client sends it
            _ => Uri.EscapeDataString(id),
        };
    }

    private static (byte[] Bytes, string Kind) Body(Random random)
    {
        switch (random.Next(12))
        {
            case 0:
                var noise = new byte[random.Next(0, 4096)];
                random.NextBytes(noise);
                return (noise, "random bytes");
            case 1:
                var valid = ValidBody(random);
                return (Encoding.UTF8.GetBytes(valid[..random.Next(valid.Length)]), "truncated");
            case 2:
                var depth = random.Next(64, 20000);
                return (Join(Repeat("{\"a\":[", depth), "1"u8.ToArray(), Repeat("]}", depth)), $"nested {depth}");
            case 3:
                return (Join("{\"text\":\""u8.ToArray(), Repeat("w", random.Next(1, 3_000_000)), "\",\"query\":\""u8.ToArray(), Repeat("q", random.Next(1, 10_000)), "\"}"u8.ToArray()), "huge strings");
            case 4:
                string[] edges = ["\\ud800", "\\udfff", "\\u0000", "\\ufeff", "\\u202e", "\\ud83d\\ude00", "\\uffff", "\\ud800\\ud800"];
                var edge = edges[random.Next(edges.Length)];
                return (Encoding.UTF8.GetBytes(ValidBody(random).Replace("volcano", edge, StringComparison.Ordinal).Replace("\"cpu_percent\"", $"\"{edge}\"", StringComparison.Ordinal)), "unicode " + edge);
            case 5:
                return ([0xEF, 0xBB, 0xBF, 0xC0, 0xAF, 0xED, 0xA0, 0x80, 0xFF, .. Encoding.UTF8.GetBytes("{\"text\":\"x\"}")], "invalid utf-8");
            case 6:
                string[] wrong = ["{\"topK\":\"ten\"}", "{\"topK\":1e400}", "{\"topK\":-1}", "{\"topK\":2147483648}", "{\"topK\":1.5}", "{\"mode\":3}", "{\"query\":42}",
                    "{\"text\":null}", "{\"text\":[\"a\"]}", "{\"filter\":\"x\"}", "{\"filter\":{\"$or\":5}}", "{\"metadata\":{\"k\":{\"deep\":1}}}", "{\"threshold\":\"NaN\"}",
                    "{\"input\":[]}", "{\"input\":[1,2]}", "{\"matchers\":[]}", "{\"duration\":\"-1h\",\"matchers\":{\"a\":\"b\"}}", "{\"shardCount\":0}", "{\"shardCount\":1000000}"];
                return (Encoding.UTF8.GetBytes(wrong[random.Next(wrong.Length)]), "wrong types");
            case 7:
                return ([], "empty");
            case 8:
                return (Encoding.UTF8.GetBytes("null"), "null");
            case 9:
                return (Join("["u8.ToArray(), Repeat("7,", random.Next(1, 50_000)), "7]"u8.ToArray()), "big array");
            default:
                return (Encoding.UTF8.GetBytes(ValidBody(random)), "valid");
        }
    }

    // Large bodies are built as bytes: string building would rent from the shared array pools of this process (the
    // host's too), whose cached buffers would then count as the silo's memory.
    private static byte[] Repeat(string text, int count)
    {
        var unit = Encoding.UTF8.GetBytes(text);
        var bytes = new byte[unit.Length * count];
        for (var i = 0; i < count; i++)
        {
            unit.CopyTo(bytes, i * unit.Length);
        }

        return bytes;
    }

    private static byte[] Join(params byte[][] parts)
    {
        var bytes = new byte[parts.Sum(p => p.Length)];
        var at = 0;
        foreach (var part in parts)
        {
            part.CopyTo(bytes, at);
            at += part.Length;
        }

        return bytes;
    }

    private static string ValidBody(Random random)
    {
        string[] bodies =
        [
            "{\"text\":\"A volcano erupts when magma rises.\",\"title\":\"Volcano\",\"metadata\":{\"year\":2020,\"tags\":[\"geo\"]}}",
            "{\"query\":\"why does a volcano erupt\",\"topK\":5,\"mode\":\"hybrid\",\"filter\":{\"year\":{\"$gte\":2000}}}",
            "{\"question\":\"Why does a volcano erupt?\",\"topK\":3}",
            "{\"input\":[\"volcano\",\"lava\"]}",
            "{\"shardCount\":2,\"chunkTokens\":120}",
            "{\"name\":\"FuzzRule\",\"metric\":\"cpu_percent\",\"window\":\"5m\",\"comparator\":\">\",\"threshold\":99,\"labels\":{\"team\":\"volcano\"}}",
            "{\"matchers\":{\"alertname\":\"volcano\"},\"duration\":\"1h\",\"comment\":\"volcano\"}",
        ];
        return bodies[random.Next(bodies.Length)];
    }

    /// <summary>A body that trickles in over a few seconds; it must be answered like any other.</summary>
    private static async Task<int> SlowBodyAsync(Uri baseAddress, int index)
    {
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(HttpMethod.Put, $"v1/collections/fuzz-slow/documents/slow-{index}")
        {
            Content = new TrickleContent(Encoding.UTF8.GetBytes("{\"text\":\"Slowly arriving text about tides and the moon.\"}"), TimeSpan.FromMilliseconds(150)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.SendAsync(request);
        return (int)response.StatusCode;
    }

    private sealed class TrickleContent(byte[] bytes, TimeSpan pause) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            for (var i = 0; i < bytes.Length; i += 4)
            {
                await stream.WriteAsync(bytes.AsMemory(i, Math.Min(4, bytes.Length - i)));
                await stream.FlushAsync();
                await Task.Delay(pause);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }

    /// <summary>The process's working set after the runtime gave back what it can (an aggressive, compacting collection).</summary>
    private static long SettledWorkingSet()
    {
        for (var i = 0; i < 2; i++)
        {
            System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
