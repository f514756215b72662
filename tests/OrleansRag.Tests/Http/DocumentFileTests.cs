using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Http;

/// <summary>Files as they are (PDF, DOCX, HTML, text) over real HTTP: extraction, background status, citations with pages, refusals.</summary>
[Collection(HostCollection.Name)]
public sealed class DocumentFileTests(RagHostFixture host)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    private HttpClient Http => host.Http;

    [Fact]
    public async Task A_pdf_is_queued_then_ready_and_citations_name_its_page()
    {
        var pdf = TestDocuments.Pdf(
        [
            "Ferry timetable. Boats leave the north quay at seven and at nine in the morning.",
            "Winter service. Between November and March the ferry to Skerrow Island sails only on Tuesdays and Saturdays because of the storms.",
            "Fares. Children under twelve travel free with an adult.",
        ], title: "Skerrow Ferry Guide");

        using var put = await PutFileAsync("files", "ferry.pdf", pdf, "application/pdf");
        Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        Assert.Equal("/v1/collections/files/documents/ferry.pdf", put.Headers.Location?.OriginalString);
        var accepted = await put.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("accepted", accepted.GetProperty("status").GetString());
        Assert.Equal("queued", accepted.GetProperty("documentStatus").GetString());

        var (document, seen) = await WaitAsync("v1/collections/files/documents/ferry.pdf");
        Assert.Equal("ready", document.GetProperty("status").GetString());
        Assert.Equal("Skerrow Ferry Guide", document.GetProperty("title").GetString());
        Assert.Equal(3, document.GetProperty("pageCount").GetInt32());
        Assert.Equal("application/pdf", document.GetProperty("contentType").GetString());
        Assert.True(document.GetProperty("searchable").GetBoolean());
        Assert.Equal(JsonValueKind.Null, document.GetProperty("text").ValueKind);
        Assert.Equal("ready", seen[^1]);
        Assert.Subset(new HashSet<string> { "queued", "processing", "ready" }, seen.ToHashSet());

        var hits = await PostAsync("v1/collections/files/search", new { query = "When does the ferry sail in winter?", topK = 3 });
        var best = hits.GetProperty("hits")[0];
        Assert.Equal("ferry.pdf", best.GetProperty("documentId").GetString());
        Assert.Contains("Tuesdays and Saturdays", best.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, best.GetProperty("page").GetInt32());

        var answer = await PostAsync("v1/collections/files/ask", new { question = "On which days does the ferry to Skerrow Island sail in winter?" });
        var citation = answer.GetProperty("citations").EnumerateArray().First(c => c.GetProperty("documentId").GetString() == "ferry.pdf");
        Assert.Equal(2, citation.GetProperty("page").GetInt32());

        var chunks = await Http.GetFromJsonAsync<JsonElement>("v1/collections/files/documents/ferry.pdf/chunks");
        Assert.Equal([1, 2, 3], chunks.GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("page").GetInt32()));

        using var again = await PutFileAsync("files", "ferry.pdf", pdf, "application/pdf");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("unchanged", (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_docx_in_multipart_form_data_with_metadata_is_searchable_by_its_table_and_filterable()
    {
        var docx = TestDocuments.Docx("Service Ownership",
        [
            ("Heading1", "Owners"),
            ("", "Every production service has exactly one owning team, listed below."),
        ],
        [["Service", "Team"], ["invoice-renderer", "team-quillfeather"]]);
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(docx);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream"); // browsers often send this; the extension decides
        form.Add(file, "file", "owners.docx");
        form.Add(new StringContent("""{"team": "platform", "year": 2026}"""), "metadata");

        using var put = await Http.PutAsync("v1/collections/files/documents/owners", form);
        Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        var (document, _) = await WaitAsync("v1/collections/files/documents/owners");
        Assert.Equal("ready", document.GetProperty("status").GetString());
        Assert.Equal("Service Ownership", document.GetProperty("title").GetString());
        Assert.Equal("platform", document.GetProperty("metadata").GetProperty("team").GetString());

        var hits = await PostAsync("v1/collections/files/search", new { query = "team-quillfeather", mode = "bm25", filter = new { field = "year", gte = 2026 } });
        var best = hits.GetProperty("hits")[0];
        Assert.Equal("owners", best.GetProperty("documentId").GetString());
        Assert.Contains("invoice-renderer | team-quillfeather", best.GetProperty("text").GetString(), StringComparison.Ordinal);
        var filteredOut = await PostAsync("v1/collections/files/search", new { query = "team-quillfeather", mode = "bm25", filter = new { field = "year", lt = 2026 } });
        Assert.DoesNotContain(filteredOut.GetProperty("hits").EnumerateArray(), h => h.GetProperty("documentId").GetString() == "owners");
    }

    [Fact]
    public async Task Html_is_ingested_at_once_without_its_navigation_scripts_or_styles()
    {
        const string Html = """
            <html><head><title>Glacier Walks</title><script>window.analytics = "TRACKERTOKEN";</script><style>body{font:VERDANATOKEN}</style></head>
            <body><nav><a href="/">NAVTOKEN home</a></nav><main><h1>Glacier walks</h1>
            <p>Guided walks on the Hvit glacier start at the blue hut and last three hours.</p></main>
            <footer>FOOTERTOKEN all rights reserved</footer></body></html>
            """;
        using var put = await PutFileAsync("html", "walks", Encoding.UTF8.GetBytes(Html), "text/html; charset=utf-8", title: null);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        var document = await Http.GetFromJsonAsync<JsonElement>("v1/collections/html/documents/walks");
        Assert.Equal("Glacier Walks", document.GetProperty("title").GetString());
        Assert.Equal("ready", document.GetProperty("status").GetString());
        foreach (var token in new[] { "TRACKERTOKEN", "VERDANATOKEN", "NAVTOKEN", "FOOTERTOKEN" })
        {
            var hits = await PostAsync("v1/collections/html/search", new { query = token, mode = "bm25", topK = 10 });
            Assert.DoesNotContain(hits.GetProperty("hits").EnumerateArray(), h => h.GetProperty("text").GetString()!.Contains(token, StringComparison.Ordinal));
        }

        var found = await PostAsync("v1/collections/html/search", new { query = "How long does a glacier walk last?" });
        Assert.Contains("three hours", found.GetProperty("hits")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Binary_sent_as_text_is_refused_and_nothing_is_indexed()
    {
        var pdf = TestDocuments.Pdf(["Some text that must not be read as plain text."]);
        await HttpApiTests.AssertProblemAsync(await PutFileAsync("refused", "pdf-as-text", pdf, "text/plain"), HttpStatusCode.BadRequest, "is a PDF");
        var noise = Enumerable.Range(0, 4096).Select(i => (byte)(i * 31 % 256)).ToArray();
        await HttpApiTests.AssertProblemAsync(await PutFileAsync("refused", "noise", noise, "text/plain"), HttpStatusCode.BadRequest, "text/plain");
        await HttpApiTests.AssertProblemAsync(await PutFileAsync("refused", "not-pdf", Encoding.UTF8.GetBytes("hello"), "application/pdf"), HttpStatusCode.BadRequest, "not a PDF");
        await HttpApiTests.AssertProblemAsync(await PutFileAsync("refused", "x", Encoding.UTF8.GetBytes("hello"), "image/gif"), HttpStatusCode.UnsupportedMediaType, "application/pdf");
        await HttpApiTests.AssertProblemAsync(await PutFileAsync("refused", "not-png", Encoding.UTF8.GetBytes("hello"), "image/png"), HttpStatusCode.BadRequest, "not a PNG");
        using var missing = await Http.GetAsync("v1/collections/refused/documents/noise");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_corrupt_pdf_fails_with_its_reason_is_listed_as_failed_and_never_searchable()
    {
        using var put = await PutFileAsync("broken", "corrupt.pdf", TestDocuments.CorruptPdf(), "application/pdf");
        Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        using var scan = await PutFileAsync("broken", "scan.pdf", TestDocuments.DrawingOnlyPdf(), "application/pdf");
        Assert.Equal(HttpStatusCode.Accepted, scan.StatusCode);

        var (corrupt, _) = await WaitAsync("v1/collections/broken/documents/corrupt.pdf");
        Assert.Equal("failed", corrupt.GetProperty("status").GetString());
        Assert.Contains("cannot be read", corrupt.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, corrupt.GetProperty("attempts").GetInt32()); // a bad file is not retried
        Assert.False(corrupt.GetProperty("searchable").GetBoolean());
        var (image, _) = await WaitAsync("v1/collections/broken/documents/scan.pdf");
        Assert.Contains("no extractable text", image.GetProperty("error").GetString(), StringComparison.Ordinal);

        var failed = await Http.GetFromJsonAsync<JsonElement>("v1/collections/broken/documents?status=failed");
        Assert.Equal(["corrupt.pdf", "scan.pdf"], failed.GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("id").GetString()).Order());
        Assert.All(failed.GetProperty("documents").EnumerateArray(), d => Assert.False(string.IsNullOrEmpty(d.GetProperty("error").GetString())));
        var ready = await Http.GetFromJsonAsync<JsonElement>("v1/collections/broken/documents?status=ready");
        Assert.Equal(0, ready.GetProperty("count").GetInt32());
        var search = await PostAsync("v1/collections/broken/search", new { query = "PDF catalog pages", mode = "bm25" });
        Assert.Equal(0, search.GetProperty("hits").GetArrayLength());
        await HttpApiTests.AssertProblemAsync(await Http.GetAsync("v1/collections/broken/documents?status=done"), HttpStatusCode.BadRequest, "queued, processing, ready, failed");

        // A failed document can be replaced by a good file, or deleted.
        using var fixedPut = await PutFileAsync("broken", "corrupt.pdf", TestDocuments.Pdf(["The repaired manual explains the valve assembly."]), "application/pdf");
        var (repaired, _) = await WaitAsync("v1/collections/broken/documents/corrupt.pdf");
        Assert.Equal("ready", repaired.GetProperty("status").GetString());
        using var deleted = await Http.DeleteAsync("v1/collections/broken/documents/scan.pdf");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var left = await Http.GetFromJsonAsync<JsonElement>("v1/collections/broken/documents?status=failed");
        Assert.Equal(0, left.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Chunks_are_listed_in_pages_with_their_section_heading_pages_and_token_count()
    {
        const string Markdown = """
            # Lighthouse Manual

            The lighthouse on Corran Point was built in 1858 and automated in 1989.

            ## Lamp

            The lamp turns once every twelve seconds and is seen from twenty nautical miles.

            ## Fog signal

            The fog horn sounds two blasts every thirty seconds when visibility falls below two miles.

            ### Maintenance

            Keepers grease the horn's compressor on the first Monday of each month.
            """;
        using var put = await Http.PutAsJsonAsync("v1/collections/chunks/documents/manual", new { text = Markdown, contentType = "text/markdown" });
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var chunkCount = (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("chunkCount").GetInt32();
        Assert.True(chunkCount >= 4, $"{chunkCount} chunks");

        var first = await Http.GetFromJsonAsync<JsonElement>("v1/collections/chunks/documents/manual/chunks?limit=2");
        Assert.Equal(chunkCount, first.GetProperty("total").GetInt32());
        Assert.Equal(0, first.GetProperty("offset").GetInt32());
        Assert.Equal(2, first.GetProperty("nextOffset").GetInt32());
        var chunks = first.GetProperty("chunks").EnumerateArray().ToList();
        var rest = await Http.GetFromJsonAsync<JsonElement>($"v1/collections/chunks/documents/manual/chunks?offset=2&limit={OrleansRag.Silo.Api.DocumentsApi.MaxChunkPage}");
        Assert.Equal(JsonValueKind.Null, rest.GetProperty("nextOffset").ValueKind);
        chunks.AddRange(rest.GetProperty("chunks").EnumerateArray());

        Assert.Equal(Enumerable.Range(0, chunkCount), chunks.Select(c => c.GetProperty("index").GetInt32()));
        string Section(string words) => chunks.Single(c => c.GetProperty("text").GetString()!.Contains(words, StringComparison.Ordinal)).GetProperty("section").GetString()!;
        Assert.Equal("Lighthouse Manual", Section("built in 1858"));
        Assert.Equal("Lamp", Section("twelve seconds"));
        Assert.Equal("Fog signal", Section("two blasts"));
        Assert.Equal("Maintenance", Section("compressor"));
        Assert.All(chunks, c => Assert.InRange(c.GetProperty("tokenCount").GetInt32(), 3, 200));

        var past = await Http.GetFromJsonAsync<JsonElement>("v1/collections/chunks/documents/manual/chunks?offset=500");
        Assert.Empty(past.GetProperty("chunks").EnumerateArray());
        Assert.Equal(chunkCount, past.GetProperty("total").GetInt32());

        await HttpApiTests.AssertProblemAsync(await Http.GetAsync("v1/collections/chunks/documents/missing/chunks"), HttpStatusCode.NotFound, "missing");
        await HttpApiTests.AssertProblemAsync(await Http.GetAsync("v1/collections/chunks/documents/manual/chunks?limit=0"), HttpStatusCode.BadRequest, "limit");
        await HttpApiTests.AssertProblemAsync(await Http.GetAsync("v1/collections/chunks/documents/manual/chunks?limit=5000"), HttpStatusCode.BadRequest, "limit");
        await HttpApiTests.AssertProblemAsync(await Http.GetAsync("v1/collections/chunks/documents/manual/chunks?offset=-1"), HttpStatusCode.BadRequest, "offset");
    }

    [Fact]
    public async Task Raw_text_files_take_title_and_metadata_from_headers()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "v1/collections/headers/documents/notes")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes("# Harbour notes\n\nThe crane on pier four lifts twelve tonnes.")),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/markdown");
        request.Headers.Add("X-Document-Title", Uri.EscapeDataString("Notes — pier four"));
        request.Headers.Add("X-Document-Metadata", """{"pier": 4, "tags": ["cranes"]}""");
        using var put = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        var document = await Http.GetFromJsonAsync<JsonElement>("v1/collections/headers/documents/notes");
        Assert.Equal("Notes — pier four", document.GetProperty("title").GetString());
        Assert.Equal(4, document.GetProperty("metadata").GetProperty("pier").GetDouble());

        using var bad = new HttpRequestMessage(HttpMethod.Put, "v1/collections/headers/documents/bad") { Content = new StringContent("text") };
        bad.Content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        bad.Headers.Add("X-Document-Metadata", "{not json");
        await HttpApiTests.AssertProblemAsync(await Http.SendAsync(bad), HttpStatusCode.BadRequest, "X-Document-Metadata");
    }

    private Task<HttpResponseMessage> PutFileAsync(string collection, string id, byte[] content, string contentType, string? title = null) =>
        PutFileAsync(Http, collection, id, content, contentType, title);

    /// <summary>PUTs a file's bytes as a document, with its content type (and title header when given).</summary>
    internal static async Task<HttpResponseMessage> PutFileAsync(HttpClient http, string collection, string id, byte[] content, string contentType, string? title = null)
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"v1/collections/{collection}/documents/{id}") { Content = body };
        if (title is not null)
        {
            request.Headers.Add("X-Document-Title", title);
        }

        return await http.SendAsync(request);
    }

    private async Task<JsonElement> PostAsync(string path, object body)
    {
        using var response = await Http.PostAsJsonAsync(path, body);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Polls a document until it is ready or failed; returns it and every status seen on the way.</summary>
    internal static async Task<(JsonElement Document, List<string> Seen)> WaitAsync(HttpClient http, string path, TimeSpan patience)
    {
        var seen = new List<string>();
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            var document = await http.GetFromJsonAsync<JsonElement>(path);
            var status = document.GetProperty("status").GetString()!;
            if (seen.Count == 0 || seen[^1] != status)
            {
                seen.Add(status);
            }

            if (status is "ready" or "failed")
            {
                return (document, seen);
            }

            Assert.True(DateTime.UtcNow < deadline, $"{path} is still {status} after {patience} (seen: {string.Join(" → ", seen)}).");
            await Task.Delay(50);
        }
    }

    private Task<(JsonElement Document, List<string> Seen)> WaitAsync(string path) => WaitAsync(Http, path, Patience);
}
