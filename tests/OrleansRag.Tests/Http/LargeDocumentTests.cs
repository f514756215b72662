using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Http;

/// <summary>The real host with the default document limit (50 MiB).</summary>
public sealed class LargeDocumentHostFixture : RagHostFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("Ingestion:MaxDocumentBytes", (50 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];
}

[CollectionDefinition(Name)]
public sealed class LargeDocumentCollection : ICollectionFixture<LargeDocumentHostFixture>
{
    public const string Name = nameof(LargeDocumentCollection);
}

/// <summary>
/// 20 MB documents end to end over HTTP: a text file and a PDF are ingested completely in the background (a
/// marker at their very end is found), and anything over Ingestion:MaxDocumentBytes gets a 413 naming it.
/// The bodies repeat a cycle of distinct paragraphs or pages, so that the pipeline embeds each distinct chunk
/// once: what is under test is extraction, chunking, staging and committing 20 MB, not the speed of the model
/// on two cores (bench/ measures that).
/// </summary>
[Collection(LargeDocumentCollection.Name)]
public sealed class LargeDocumentTests(LargeDocumentHostFixture host)
{
    private const int TwentyMegabytes = 20 * 1024 * 1024;

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);

    private static readonly string[] Topics =
    [
        "harbour cranes", "tidal turbines", "grain silos", "ferry engines", "signal lamps", "rope winches", "cargo manifests", "pilot boats",
        "dry docks", "fog horns", "buoy chains", "ballast tanks", "hull plating", "radar masts", "fuel barges", "mooring lines",
        "tug crews", "lock gates", "salt pans", "net lofts",
    ];

    private static string Paragraph(int i) =>
        $"Paragraph {i} is about {Topics[i % Topics.Length]}. The inspection of the {Topics[i % Topics.Length]} in district {i} found {i * 3 % 17} faults. "
        + $"Each fault was logged, photographed and repaired within {i % 9 + 1} days by the maintenance crew of district {i}. "
        + "The report ends with the recommendation to repeat the inspection every spring.";

    [Fact]
    public async Task A_20_MB_text_file_is_ingested_completely_and_its_last_line_is_found()
    {
        var text = new StringBuilder(TwentyMegabytes + 4096);
        for (var i = 0; text.Length < TwentyMegabytes; i++)
        {
            text.Append(Paragraph(i % 40)).Append("\n\n");
        }

        text.Append("The final line of the archive names the keeper code ZEPHYRQUILL and the closing date.");
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        Assert.True(bytes.Length > TwentyMegabytes);

        var document = await IngestAsync("big-text", "archive.txt", bytes, "text/plain");
        Assert.True(document.GetProperty("chunkCount").GetInt32() > 10_000, document.ToString());
        Assert.Equal(bytes.Length, document.GetProperty("sourceBytes").GetInt64());

        await AssertFoundAsync("big-text", "archive.txt", "ZEPHYRQUILL", "keeper code");
    }

    [Fact]
    public async Task A_20_MB_pdf_is_ingested_completely_and_a_marker_on_its_last_page_is_found()
    {
        using var pdf = new MemoryStream();
        var watch = Stopwatch.StartNew();
        var pages = 0;
        string Page(int p) => string.Join(' ', Enumerable.Range(0, 8).Select(k => Paragraph((p % 10 * 8) + k)));
        // Write pages until the file passes 20 MB; the last page carries the marker.
        using (var probe = new MemoryStream())
        {
            TestDocuments.WriteRawPdf(probe, 20, Page);
            pages = (int)(TwentyMegabytes * 1.02 / (probe.Length / 20.0)) + 20;
        }

        TestDocuments.WriteRawPdf(pdf, pages, p => p == pages - 1 ? "Last page. The harbour master signs the ledger with the seal QUILLFEATHER-ANCHOR." : Page(p), "Harbour Ledger");
        Assert.True(pdf.Length > TwentyMegabytes, $"{pdf.Length} bytes");
        Console.WriteLine($"generated a {pdf.Length / 1e6:F1} MB PDF of {pages} pages in {watch.Elapsed.TotalSeconds:F1} s");

        var document = await IngestAsync("big-pdf", "ledger.pdf", pdf.ToArray(), "application/pdf");
        Assert.Equal(pages, document.GetProperty("pageCount").GetInt32());
        Assert.Equal("Harbour Ledger", document.GetProperty("title").GetString());

        var hit = await AssertFoundAsync("big-pdf", "ledger.pdf", "QUILLFEATHER", "harbour master");
        Assert.Equal(pages, hit.GetProperty("page").GetInt32());
    }

    [Fact]
    public async Task Searches_keep_answering_while_a_2_MiB_document_of_distinct_text_is_embedded()
    {
        using (var probe = await host.Http.PutAsJsonAsync("v1/collections/busy/documents/probe", new { text = "The lighthouse on the northern cape flashes twice every ten seconds." }))
        {
            Assert.Equal(HttpStatusCode.Created, probe.StatusCode);
        }

        async Task<double> SearchAsync()
        {
            var watch = Stopwatch.StartNew();
            using var search = await host.Http.PostAsJsonAsync("v1/collections/busy/search", new { query = "how often does the lighthouse flash", topK = 3 });
            Assert.Equal(HttpStatusCode.OK, search.StatusCode);
            Assert.Contains("probe", await search.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            return watch.Elapsed.TotalMilliseconds;
        }

        var idle = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            idle.Add(await SearchAsync());
        }

        // 2 MiB of text whose sentences all differ, so that every chunk goes through the model (minutes on two cores).
        var text = new StringBuilder(2 * 1024 * 1024 + 256);
        for (var i = 0; text.Length < 2 * 1024 * 1024; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"Log entry {i}: the {Topics[i % Topics.Length]} of berth {i * 7919 % 10007} were checked by inspector {i * 104729 % 9973}, who counted {i % 97} rivets. ");
        }

        using (var put = await host.Http.PutAsync("v1/collections/busy/documents/big", new StringContent(text.ToString(), Encoding.UTF8, "text/plain")))
        {
            Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        }

        // Search on the same silo while the embedder works through it; every search answers.
        var busy = new List<double>();
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (busy.Count < 20 && DateTime.UtcNow < deadline)
        {
            var latency = await SearchAsync();
            using var status = JsonDocument.Parse(await host.Http.GetStringAsync("v1/collections/busy/documents/big"));
            if (status.RootElement.GetProperty("status").GetString() is "processing" && status.RootElement.TryGetProperty("stage", out var stage) && stage.GetString() == "embed")
            {
                busy.Add(latency); // it overlapped the embedding
            }
            else if (status.RootElement.GetProperty("status").GetString() is "ready" or "failed")
            {
                break;
            }
        }

        Assert.True(busy.Count >= 10, $"only {busy.Count} searches overlapped the embedding of the large document");
        Console.WriteLine($"searches beside a 2 MiB ingest: idle p50 {Percentile(idle, 0.5):F0} ms, p95 {Percentile(idle, 0.95):F0} ms; while embedding p50 {Percentile(busy, 0.5):F0} ms, p95 {Percentile(busy, 0.95):F0} ms, max {busy.Max():F0} ms");
        Assert.Equal(HttpStatusCode.NoContent, (await host.Http.DeleteAsync("v1/collections/busy/documents/big")).StatusCode);
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Max(0, (int)Math.Ceiling(sorted.Length * p) - 1)];
    }

    [Fact]
    public async Task A_file_over_the_limit_gets_413_naming_the_setting()
    {
        var tooLarge = new byte[50 * 1024 * 1024 + 1];
        Array.Fill(tooLarge, (byte)'a');
        var content = new ByteArrayContent(tooLarge);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        await HttpApiTests.AssertProblemAsync(await host.Http.PutAsync("v1/collections/big-text/documents/too-large", content), HttpStatusCode.RequestEntityTooLarge, "Ingestion:MaxDocumentBytes");
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("health")).StatusCode);
    }

    private async Task<JsonElement> IngestAsync(string collection, string id, byte[] bytes, string contentType)
    {
        var watch = Stopwatch.StartNew();
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var put = await host.Http.PutAsync($"v1/collections/{collection}/documents/{id}", content);
        Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        var (document, seen) = await DocumentFileTests.WaitAsync(host.Http, $"v1/collections/{collection}/documents/{id}", Patience);
        Assert.True(document.GetProperty("status").GetString() == "ready", document.ToString());
        Console.WriteLine($"{id}: {bytes.Length / 1e6:F1} MB, {document.GetProperty("chunkCount").GetInt32()} chunks, ready in {watch.Elapsed.TotalSeconds:F1} s ({string.Join(" → ", seen)})");
        return document;
    }

    private async Task<JsonElement> AssertFoundAsync(string collection, string id, string marker, string context)
    {
        foreach (var mode in new[] { "bm25", "hybrid" })
        {
            using var response = await host.Http.PostAsJsonAsync($"v1/collections/{collection}/search", new { query = $"{marker} {context}", mode, topK = 3 });
            var hits = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("hits");
            var best = hits[0];
            Assert.Equal(id, best.GetProperty("documentId").GetString());
            Assert.Contains(marker, best.GetProperty("text").GetString(), StringComparison.Ordinal);
            if (mode == "hybrid")
            {
                return best;
            }
        }

        throw new InvalidOperationException("unreachable");
    }
}
