using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Http;

/// <summary>
/// Export and import of whole collections over real HTTP on the embedded default: the round trip answers identically
/// (same hits, same scores, same chunks, the originals byte for byte), another model's archive is embedded again,
/// and a truncated, altered or foreign archive is refused with nothing left behind.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class ExportImportTests(RagHostFixture host)
{
    private static readonly string[] Queries =
    [
        "When does the ferry sail in winter?", "How is a lighthouse lamp seen at sea?", "compressor maintenance schedule", "section 140 of the long manual",
    ];

    private HttpClient Http => host.Http;

    /// <summary>A collection of three kinds of document: JSON text, a PDF (queued, with pages) and a long Markdown file cut into more than one part of chunks.</summary>
    internal static async Task<byte[]> SourceCollectionAsync(HttpClient http, string collection)
    {
        using (var created = await http.PutAsJsonAsync($"v1/collections/{collection}", new { shardCount = 3, chunkTokens = 16, chunkOverlapTokens = 0 }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var text = await http.PutAsJsonAsync($"v1/collections/{collection}/documents/lighthouse", new
        {
            text = "The lighthouse on Corran Point was built in 1858. Its lamp turns once every twelve seconds and is seen from twenty nautical miles.",
            title = "Lighthouse",
            metadata = new { team = "harbour", year = 2024 },
        }))
        {
            text.EnsureSuccessStatusCode();
        }

        var pdf = TestDocuments.Pdf(["Ferry timetable. Boats leave at seven.", "Winter service. Between November and March the ferry sails only on Tuesdays."], title: "Ferry");
        var body = new ByteArrayContent(pdf);
        body.Headers.ContentType = new MediaTypeHeaderValue(ContentTypes.Pdf);
        using (var put = await http.PutAsync($"v1/collections/{collection}/documents/ferry.pdf", body))
        {
            Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        }

        var manual = new StringBuilder("# Long manual\n\n");
        for (var i = 0; i < 300; i++)
        {
            manual.Append(CultureInfo($"Section {i} of the long manual: valve {i} is checked every {i % 7 + 1} days and its compressor greased monthly.\n\n"));
        }

        var markdown = new ByteArrayContent(Encoding.UTF8.GetBytes(manual.ToString()));
        markdown.Headers.ContentType = new MediaTypeHeaderValue(ContentTypes.Markdown);
        using (var put = await http.PutAsync($"v1/collections/{collection}/documents/manual.md", markdown))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        foreach (var id in new[] { "ferry.pdf", "manual.md" })
        {
            await DocumentFileTests.WaitAsync(http, $"v1/collections/{collection}/documents/{id}", TimeSpan.FromMinutes(3));
        }

        return pdf;
    }

    private static string CultureInfo(FormattableString text) => FormattableString.Invariant(text);

    [Fact]
    public async Task An_exported_collection_imports_into_another_and_answers_identically()
    {
        var pdf = await SourceCollectionAsync(Http, "exp-src");
        var manualChunks = (await Http.GetFromJsonAsync<JsonElement>("v1/collections/exp-src/documents/manual.md")).GetProperty("chunkCount").GetInt32();
        Assert.True(manualChunks > 256, $"{manualChunks} chunks: the manual must span more than one part");

        using var export = await Http.GetAsync("v1/collections/exp-src/export?sources=true");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("application/gzip", export.Content.Headers.ContentType?.MediaType);
        var archive = await export.Content.ReadAsByteArrayAsync();

        var summary = await ImportAsync("exp-dst", archive, HttpStatusCode.Created);
        Assert.Equal((3, 0, 0, 3), (summary.GetProperty("documents").GetInt32(), summary.GetProperty("reembedding").GetInt32(),
            summary.GetProperty("skipped").GetInt32(), summary.GetProperty("originals").GetInt32()));

        var source = await Http.GetFromJsonAsync<JsonElement>("v1/collections/exp-src");
        var target = await Http.GetFromJsonAsync<JsonElement>("v1/collections/exp-dst");
        foreach (var setting in new[] { "shardCount", "chunkTokens", "documentCount", "chunkCount" })
        {
            Assert.Equal(source.GetProperty(setting).GetRawText(), target.GetProperty(setting).GetRawText());
        }

        Assert.Equal(source.GetProperty("embeddingModel").GetRawText(), target.GetProperty("embeddingModel").GetRawText());
        Assert.Equal(await SnapshotAsync(Http, "exp-src"), await SnapshotAsync(Http, "exp-dst"));
        Assert.Equal(pdf, await Http.GetByteArrayAsync("v1/collections/exp-dst/documents/ferry.pdf/content"));
        var lighthouse = await Http.GetFromJsonAsync<JsonElement>("v1/collections/exp-dst/documents/lighthouse");
        Assert.Equal(("harbour", 2024), (lighthouse.GetProperty("metadata").GetProperty("team").GetString(), lighthouse.GetProperty("metadata").GetProperty("year").GetInt32()));

        // Not into a collection that holds documents, unless asked to replace them.
        using (var again = new ByteArrayContent(archive))
        {
            await HttpApiTests.AssertProblemAsync(await Http.PostAsync("v1/collections/exp-dst/import", again), HttpStatusCode.Conflict, "replace");
        }

        await host.PutAsync("exp-dst", "extra", "A document that the replacement removes.");
        await ImportAsync("exp-dst", archive, HttpStatusCode.OK, "?replace=true");
        await HttpApiTests.AssertProblemAsync(await Http.GetAsync("v1/collections/exp-dst/documents/extra"), HttpStatusCode.NotFound, "extra");
        Assert.Equal(await SnapshotAsync(Http, "exp-src"), await SnapshotAsync(Http, "exp-dst"));
    }

    [Fact]
    public async Task Truncated_altered_and_foreign_archives_are_refused_and_leave_nothing_behind()
    {
        await host.PutAsync("exp-small", "note", "The harbour office opens at eight and closes at four.");
        var archive = await Http.GetByteArrayAsync("v1/collections/exp-small/export");

        await RefusedAsync("exp-cut", archive[..(archive.Length / 2)], "cut short");
        await RefusedAsync("exp-cut2", archive[..^30], "");

        // Bytes changed inside the compressed stream: the gzip check or the archive's own checksum finds it.
        var altered = (byte[])archive.Clone();
        altered[altered.Length / 2] ^= 0x55;
        await RefusedAsync("exp-altered", altered, "");

        // An altered but well-formed archive: a chunk's text changed, recompressed; only the checksum can tell.
        await RefusedAsync("exp-forged", Recompress(archive, text => text.Replace("eight", "nine", StringComparison.Ordinal)), "checksum");

        await RefusedAsync("exp-foreign", Encoding.UTF8.GetBytes("just some text, not an archive"), "not a gzip-compressed tar");
        await RefusedAsync("exp-zip", ForeignTarGz(), "first entry");
    }

    [Fact]
    public async Task An_archive_of_another_model_is_embedded_again_in_the_background()
    {
        await host.PutAsync("exp-int8", "tides", "The spring tide at Corran reaches 4.2 metres; the neap tide only 2.1 metres.", "Tides");
        var archive = await Http.GetByteArrayAsync("v1/collections/exp-int8/export?sources=true");
        using (var created = await Http.PutAsJsonAsync("v1/collections/exp-fp32", new { embeddingModel = "all-MiniLM-L6-v2" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var summary = await ImportAsync("exp-fp32", archive, HttpStatusCode.OK);
        Assert.Equal((0, 1), (summary.GetProperty("documents").GetInt32(), summary.GetProperty("reembedding").GetInt32()));
        var ready = (await DocumentFileTests.WaitAsync(Http, "v1/collections/exp-fp32/documents/tides", TimeSpan.FromMinutes(2))).Document;
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Equal("Tides", ready.GetProperty("title").GetString());
        var hits = await (await Http.PostAsJsonAsync("v1/collections/exp-fp32/search", new { query = "how high is the spring tide", topK = 1 })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("tides", hits.GetProperty("hits")[0].GetProperty("documentId").GetString());
        Assert.Equal("The spring tide at Corran reaches 4.2 metres; the neap tide only 2.1 metres.",
            await Http.GetStringAsync("v1/collections/exp-fp32/documents/tides/content"));
    }

    /// <summary>Every document, chunk and search result of a collection, as text that compares exactly.</summary>
    internal static async Task<string> SnapshotAsync(HttpClient http, string collection)
    {
        var snapshot = new StringBuilder();
        var documents = await http.GetFromJsonAsync<JsonElement>($"v1/collections/{collection}/documents");
        foreach (var document in documents.GetProperty("documents").EnumerateArray().OrderBy(d => d.GetProperty("id").GetString(), StringComparer.Ordinal))
        {
            var id = document.GetProperty("id").GetString()!;
            snapshot.AppendLine(CultureInfo($"{id} {document.GetProperty("title")} {document.GetProperty("contentType")} {document.GetProperty("chunkCount")} {document.GetProperty("contentHash")} {document.GetProperty("pageCount")}"));
            for (int? offset = 0; offset is { } from;)
            {
                var page = await http.GetFromJsonAsync<JsonElement>($"v1/collections/{collection}/documents/{Uri.EscapeDataString(id)}/chunks?offset={from}&limit=1000");
                foreach (var chunk in page.GetProperty("chunks").EnumerateArray())
                {
                    snapshot.AppendLine(chunk.GetRawText());
                }

                offset = page.GetProperty("nextOffset").ValueKind == JsonValueKind.Number ? page.GetProperty("nextOffset").GetInt32() : null;
            }
        }

        foreach (var query in Queries)
        {
            foreach (var mode in new[] { "dense", "bm25", "hybrid" })
            {
                using var response = await http.PostAsJsonAsync($"v1/collections/{collection}/search", new { query, mode, topK = 10 });
                var hits = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("hits");
                snapshot.AppendLine(CultureInfo($"{mode} {query}: ") + string.Join(", ", hits.EnumerateArray().Select(h => CultureInfo($"{h.GetProperty("chunkId").GetString()}={h.GetProperty("score").GetDouble():R}"))));
            }
        }

        return snapshot.ToString();
    }

    private async Task<JsonElement> ImportAsync(string collection, byte[] archive, HttpStatusCode expected, string query = "")
    {
        using var body = new ByteArrayContent(archive);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
        using var response = await Http.PostAsync($"v1/collections/{collection}/import{query}", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private async Task RefusedAsync(string collection, byte[] archive, string detail)
    {
        using var body = new ByteArrayContent(archive);
        await HttpApiTests.AssertProblemAsync(await Http.PostAsync($"v1/collections/{collection}/import", body), HttpStatusCode.BadRequest, detail);
        await HttpApiTests.AssertProblemAsync(await Http.GetAsync($"v1/collections/{collection}"), HttpStatusCode.NotFound, collection);
    }

    /// <summary>The archive with <paramref name="change"/> applied to its chunk entries' text, compressed again (its checksum left as it was).</summary>
    private static byte[] Recompress(byte[] archive, Func<string, string> change)
    {
        using var input = new System.Formats.Tar.TarReader(new GZipStream(new MemoryStream(archive), CompressionMode.Decompress));
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new System.Formats.Tar.TarWriter(gzip, System.Formats.Tar.TarEntryFormat.Pax))
        {
            while (input.GetNextEntry() is { } entry)
            {
                var data = new MemoryStream();
                entry.DataStream?.CopyTo(data);
                var bytes = entry.Name.EndsWith(".jsonl", StringComparison.Ordinal) ? Encoding.UTF8.GetBytes(change(Encoding.UTF8.GetString(data.ToArray()))) : data.ToArray();
                tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, entry.Name) { DataStream = new MemoryStream(bytes) });
            }
        }

        return output.ToArray();
    }

    /// <summary>A gzip'd tar that is not an OrleansRag archive (another program's backup).</summary>
    private static byte[] ForeignTarGz()
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new System.Formats.Tar.TarWriter(gzip, System.Formats.Tar.TarEntryFormat.Pax))
        {
            tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "etc/hosts") { DataStream = new MemoryStream("127.0.0.1 localhost\n"u8.ToArray()) });
        }

        return output.ToArray();
    }
}
