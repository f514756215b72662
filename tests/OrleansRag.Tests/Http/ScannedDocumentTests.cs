using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Http;

/// <summary>
/// Scanned pages over real HTTP with the real programs (Tesseract and pdftoppm, installed by test.sh): a PDF whose middle
/// page is an image of text, a fully scanned PDF, and page images as PNG, JPEG and TIFF, all made in the test (text
/// rendered to an image by pdftoppm), found by search with their page numbers and marked as read by OCR.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class ScannedDocumentTests(RagHostFixture host)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Scanned_pdf_pages_and_page_images_are_read_by_ocr_found_by_search_with_their_pages_and_marked()
    {
        var http = host.Http;
        var mixed = await TestDocuments.ScannedPdfAsync(
        [
            ("Harbour manual. The harbour opens at dawn and closes at dusk every day of the year.", false),
            ("Mooring rules. Every trawler must moor at the western breakwater beside the copper lighthouse.", true),
            ("Fees. Visiting yachts pay a small fee at the harbour office.", false),
        ]);
        var scanned = await TestDocuments.ScannedPdfAsync(
        [
            ("Inventory ledger. The storeroom holds forty lanterns and nine brass compasses.", true),
            ("Signal codes. A green flag above a white flag means the pilot boat is coming.", true),
        ]);
        var files = new (string Id, byte[] Bytes, string Type, string Query, string Word, int Page)[]
        {
            ("mixed.pdf", mixed, "application/pdf", "Where must a trawler moor?", "breakwater", 2),
            ("scanned.pdf", scanned, "application/pdf", "What does a green flag above a white flag mean?", "pilot", 2),
            ("notice.png", await TestDocuments.PageImageAsync("Notice. The ferry to Kellby Island departs from pier four at noon.", "png"), "image/png", "Where does the ferry to Kellby depart from?", "pier", 1),
            ("memo.jpg", await TestDocuments.PageImageAsync("Memo. The annual regatta is postponed because of the autumn gales.", "jpeg"), "image/jpeg", "Why is the regatta postponed?", "gales", 1),
            ("chart.tif", await TestDocuments.PageImageAsync("Chart note. Shallow sandbanks lie north of the estuary at low tide.", "tiff"), "image/tiff", "Where are the shallow sandbanks?", "sandbanks", 1),
        };

        foreach (var file in files)
        {
            using var put = await DocumentFileTests.PutFileAsync(http, "scans", file.Id, file.Bytes, file.Type);
            Assert.True(put.StatusCode == HttpStatusCode.Accepted, $"{file.Id}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        }

        foreach (var file in files)
        {
            var (document, seen) = await DocumentFileTests.WaitAsync(http, $"v1/collections/scans/documents/{file.Id}", Patience);
            Assert.True(document.GetProperty("status").GetString() == "ready", $"{file.Id}: {document}");
            var ocrPages = document.GetProperty("ocrPages").EnumerateArray().Select(p => p.GetInt32()).ToArray();
            Assert.Equal(file.Id switch { "mixed.pdf" => [2], "scanned.pdf" => [1, 2], _ => [1] }, ocrPages);

            using var search = await http.PostAsJsonAsync("v1/collections/scans/search", new { query = file.Query, topK = 3 });
            var best = (await search.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("hits")[0];
            Assert.Equal(file.Id, best.GetProperty("documentId").GetString());
            Assert.Contains(file.Word, best.GetProperty("text").GetString(), StringComparison.OrdinalIgnoreCase);
            if (file.Type == "application/pdf")
            {
                Assert.Equal(file.Page, best.GetProperty("page").GetInt32());
            }

            // The original comes back as uploaded, with its type.
            using var content = await http.GetAsync($"v1/collections/scans/documents/{file.Id}/content");
            Assert.Equal(file.Type, content.Content.Headers.ContentType?.MediaType);
            Assert.Equal(file.Bytes, await content.Content.ReadAsByteArrayAsync());
        }

        // The listing marks them too (the web page shows it beside the type).
        var listed = await http.GetFromJsonAsync<JsonElement>("v1/collections/scans/documents");
        var row = listed.GetProperty("documents").EnumerateArray().Single(d => d.GetProperty("id").GetString() == "mixed.pdf");
        Assert.Equal([2], row.GetProperty("ocrPages").EnumerateArray().Select(p => p.GetInt32()));

        // The typed pages of the mixed PDF keep their own text and page numbers, the scanned one sits between them.
        var chunks = await http.GetFromJsonAsync<JsonElement>("v1/collections/scans/documents/mixed.pdf/chunks");
        var pages = chunks.GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("page").GetInt32()).ToList();
        Assert.Equal(pages.Order(), pages);
        Assert.Contains(2, pages);
        var text = string.Join(" ", chunks.GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("text").GetString()));
        Assert.Contains("copper lighthouse", text, StringComparison.Ordinal);
        Assert.Contains("harbour opens at dawn", text, StringComparison.Ordinal);
    }

    private sealed class NoOcrHost : RagHostFixture
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings() => [new("Ocr:Enabled", "false")];
    }

    [Fact]
    public async Task With_ocr_off_an_image_is_refused_at_once_a_scanned_pdf_fails_saying_how_to_turn_it_on_and_a_mixed_one_keeps_its_typed_pages()
    {
        var off = new NoOcrHost();
        await off.InitializeAsync();
        try
        {
            var http = off.Http;
            var image = await TestDocuments.PageImageAsync("Notice. The ferry departs at noon.", "png");
            await HttpApiTests.AssertProblemAsync(await DocumentFileTests.PutFileAsync(http, "off", "notice.png", image, "image/png"), HttpStatusCode.BadRequest, "Ocr:Enabled is false");

            var scanned = await TestDocuments.ScannedPdfAsync([("Inventory ledger. The storeroom holds forty lanterns.", true)]);
            var mixed = await TestDocuments.ScannedPdfAsync([("Harbour manual. The harbour opens at dawn.", false), ("Mooring rules. Trawlers moor at the breakwater.", true)]);
            using (var put = await DocumentFileTests.PutFileAsync(http, "off", "scanned.pdf", scanned, "application/pdf"))
            {
                Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
            }

            using (var put = await DocumentFileTests.PutFileAsync(http, "off", "mixed.pdf", mixed, "application/pdf"))
            {
                Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
            }

            var (failed, _) = await DocumentFileTests.WaitAsync(http, "v1/collections/off/documents/scanned.pdf", Patience);
            Assert.Equal("failed", failed.GetProperty("status").GetString());
            Assert.Contains("scanned PDF", failed.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Contains("Ocr:Enabled", failed.GetProperty("error").GetString(), StringComparison.Ordinal);

            var (kept, _) = await DocumentFileTests.WaitAsync(http, "v1/collections/off/documents/mixed.pdf", Patience);
            Assert.Equal("ready", kept.GetProperty("status").GetString());
            Assert.Equal(JsonValueKind.Null, kept.GetProperty("ocrPages").ValueKind);
            var chunks = await http.GetFromJsonAsync<JsonElement>("v1/collections/off/documents/mixed.pdf/chunks");
            var text = string.Join(" ", chunks.GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("text").GetString()));
            Assert.Contains("harbour opens at dawn", text, StringComparison.Ordinal);
            Assert.DoesNotContain("breakwater", text, StringComparison.Ordinal);
        }
        finally
        {
            await off.DisposeAsync();
        }
    }
}
