using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Http;

/// <summary>
/// The silo's web page at / in headless Debian Chromium (playwright-core, tests/tools/web-ui.mjs) against the real
/// host in open mode on loopback: an error shown from the problem details, a drag-and-drop and a file-picker upload
/// followed to ready, a streamed answer, a citation click, a search, a delete and the operations tab. Screenshots
/// of every step are kept beside the test assembly (screenshots/web/).
/// </summary>
[Collection(HostCollection.Name)]
public sealed class WebPageTests(RagHostFixture host)
{
    [Fact]
    public async Task The_page_is_served_at_the_root_with_its_script_and_styles()
    {
        var html = await host.Http.GetStringAsync("/");
        Assert.Contains("<title>OrleansRag</title>", html, StringComparison.Ordinal);
        foreach (var asset in new[] { "app.js", "app.css" })
        {
            using var response = await host.Http.GetAsync(asset);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task A_person_uploads_asks_with_streaming_follows_a_citation_searches_and_sees_errors()
    {
        Assert.True(File.Exists("/usr/bin/chromium"), "Debian's chromium is not installed (apt-get install chromium; test.sh does it).");
        var screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots", "web");
        if (Directory.Exists(screenshots))
        {
            Directory.Delete(screenshots, recursive: true);
        }

        var work = Directory.CreateTempSubdirectory("orleansrag-web-");
        try
        {
            var pdf = Path.Combine(work.FullName, "eruption-handbook.pdf");
            await File.WriteAllBytesAsync(pdf, TestDocuments.Pdf(
                [
                    "Eruption handbook. Volcanoes erupt when pressure from gas in the magma exceeds the strength of the rock above it.",
                    "Explosive eruptions happen when magma is rich in silica and traps gas; effusive eruptions pour out runny basalt.",
                ],
                "Eruption handbook"));

            var result = await ExternalProcess.RunAsync(
                "node", ["web-ui.mjs", host.BaseAddress.ToString(), screenshots, pdf],
                TestPaths.Repository("tests", "tools"), timeout: TimeSpan.FromMinutes(6));
            Assert.True(result.ExitCode == 0, result.ToString());
            using var report = JsonDocument.Parse(result.Output);
            var root = report.RootElement;
            Assert.Equal("OrleansRag", root.GetProperty("title").GetString());
            Assert.Empty(root.GetProperty("pageErrors").EnumerateArray());

            // The problem details' title and detail, as the API sent them.
            var error = root.GetProperty("error").GetString()!;
            Assert.Contains("Not found", error, StringComparison.Ordinal);
            Assert.Contains("Collection 'no-such-collection' does not exist.", error, StringComparison.Ordinal);

            var uploads = root.GetProperty("uploads");
            Assert.StartsWith("ready", uploads.GetProperty("statuses").GetProperty("volcanoes.md").GetString(), StringComparison.Ordinal);
            Assert.StartsWith("ready", uploads.GetProperty("statuses").GetProperty("eruption-handbook.pdf").GetString(), StringComparison.Ordinal);
            Assert.Equal(["eruption-handbook.pdf", "volcanoes.md"], uploads.GetProperty("listed").EnumerateArray().Select(e => e.GetString()));

            // Streamed (Server-Sent Events), with [n] markers that are links to citations naming title and page.
            var ask = root.GetProperty("ask");
            Assert.Contains(ask.GetProperty("responses").EnumerateArray(), r => r.GetProperty("status").GetInt32() == 200
                && r.GetProperty("contentType").GetString()!.StartsWith("text/event-stream", StringComparison.Ordinal));
            Assert.True(ask.GetProperty("markers").GetInt32() >= 1, ask.ToString());
            Assert.Contains("erupt", ask.GetProperty("answer").GetString(), StringComparison.OrdinalIgnoreCase);
            var citations = ask.GetProperty("citations").EnumerateArray().Select(c => c.GetString()!).ToList();
            Assert.Contains(citations, c => c.Contains("Eruption handbook", StringComparison.Ordinal) && c.Contains("page", StringComparison.Ordinal));

            var citation = root.GetProperty("citation");
            Assert.Equal($"cite-{citation.GetProperty("clicked").GetInt32()}", citation.GetProperty("selected").GetString());

            // Thumbs down reaches the query log as the answer's rating.
            var feedback = root.GetProperty("feedback");
            Assert.Equal("false", feedback.GetProperty("upPressed").GetString());
            var answerId = feedback.GetProperty("answerId").GetString()!;
            var rated = await host.Http.GetFromJsonAsync<JsonElement>("v1/collections/web/query-log?rating=down");
            Assert.Contains(rated.GetProperty("entries").EnumerateArray(), e => e.GetProperty("answerId").GetString() == answerId);

            // The citation of the PDF opens its original in a new tab at the cited page; its chunks show their pages.
            var original = root.GetProperty("original");
            var link = original.GetProperty("link").GetString()!;
            Assert.Matches("^/v1/collections/web/documents/eruption-handbook.pdf/content#page=[12]$", link);
            Assert.EndsWith(link[link.IndexOf('#', StringComparison.Ordinal)..], original.GetProperty("url").GetString(), StringComparison.Ordinal);
            var chunks = root.GetProperty("chunks");
            Assert.Contains("Eruption handbook", chunks.GetProperty("title").GetString(), StringComparison.Ordinal);
            Assert.Equal(["page 1", "page 2"], chunks.GetProperty("chunks").EnumerateArray().Select(c => c.GetString()!.Split(" · ").First(p => p.StartsWith("page", StringComparison.Ordinal))));
            Assert.Equal("2 of 2 chunks", chunks.GetProperty("status").GetString());

            Assert.Contains(root.GetProperty("search").GetProperty("hits").EnumerateArray(), hit => hit.GetString()!.Contains("basalt", StringComparison.OrdinalIgnoreCase));
            Assert.Contains("bm25", root.GetProperty("search").GetProperty("meta").GetString(), StringComparison.Ordinal);

            Assert.Equal(["eruption-handbook.pdf"], root.GetProperty("delete").EnumerateArray().Select(e => e.GetString()));

            var operations = root.GetProperty("operations");
            Assert.True(operations.GetProperty("silos").GetInt32() >= 1, operations.ToString());
            Assert.Contains("ask", operations.GetProperty("operations").EnumerateArray().Select(o => o.GetString()));

            var shots = root.GetProperty("screenshots").EnumerateArray().Select(s => s.GetString()!).ToList();
            Assert.Equal(10, shots.Count);
            Assert.All(shots, shot => Assert.True(new FileInfo(shot).Length > 10_000, shot));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
