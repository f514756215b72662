using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OrleansRag.Blobs;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Http;

/// <summary>
/// Originals over real HTTP on the embedded default (a folder store): a file comes back byte for byte with its type,
/// citations link to it at their page, a replacement replaces it and a delete deletes it.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class DocumentContentTests(RagHostFixture host)
{
    private HttpClient Http => host.Http;

    [Fact]
    public async Task A_pdf_comes_back_byte_for_byte_and_citations_link_to_its_page()
    {
        var pdf = TestDocuments.Pdf(
        [
            "Harbour rules. Every boat moored in the inner basin pays a daily fee.",
            "Night arrivals. Boats arriving after dark must call the harbour master on channel sixteen before entering.",
        ], title: "Harbour Rules");
        using (var put = await PutFileAsync("originals", "harbour rules.pdf", pdf, ContentTypes.Pdf))
        {
            Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        }

        await DocumentFileTests.WaitAsync(Http, "v1/collections/originals/documents/harbour%20rules.pdf", TimeSpan.FromMinutes(3));

        using var content = await Http.GetAsync("v1/collections/originals/documents/harbour%20rules.pdf/content");
        Assert.Equal(HttpStatusCode.OK, content.StatusCode);
        Assert.Equal(ContentTypes.Pdf, content.Content.Headers.ContentType?.MediaType);
        Assert.Equal(pdf, await content.Content.ReadAsByteArrayAsync());
        Assert.Equal("inline", content.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("harbour rules.pdf", content.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Equal("nosniff", content.Headers.GetValues("X-Content-Type-Options").Single());

        // A range, as PDF viewers ask for.
        using var range = new HttpRequestMessage(HttpMethod.Get, "v1/collections/originals/documents/harbour%20rules.pdf/content");
        range.Headers.Range = new RangeHeaderValue(10, 19);
        using var partial = await Http.SendAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(pdf.AsSpan(10, 10).ToArray(), await partial.Content.ReadAsByteArrayAsync());

        using var asked = await Http.PostAsJsonAsync("v1/collections/originals/ask", new { question = "What must boats arriving after dark do?" });
        var answer = await asked.Content.ReadFromJsonAsync<JsonElement>();
        var citation = answer.GetProperty("citations").EnumerateArray().First(c => c.GetProperty("documentId").GetString() == "harbour rules.pdf");
        var link = citation.GetProperty("link").GetString()!;
        Assert.Equal("/v1/collections/originals/documents/harbour%20rules.pdf/content#page=2", link);
        Assert.Equal(pdf, await Http.GetByteArrayAsync(link[1..link.IndexOf('#', StringComparison.Ordinal)]));
    }

    [Fact]
    public async Task Json_text_comes_back_as_text_html_is_sandboxed_replacing_replaces_and_deleting_deletes()
    {
        const string Text = "Tide tables — the spring tide at Corran is 4.2 metres. Ünïcödé stays as sent.";
        await host.PutAsync("originals2", "tides", Text);
        using (var content = await Http.GetAsync("v1/collections/originals2/documents/tides/content"))
        {
            Assert.Equal("text/plain", content.Content.Headers.ContentType?.MediaType);
            Assert.Equal("utf-8", content.Content.Headers.ContentType?.CharSet);
            Assert.Equal(Text, Encoding.UTF8.GetString(await content.Content.ReadAsByteArrayAsync()));
        }

        const string Html = "<html><head><title>Tides</title><script>alert(1)</script></head><body><p>Neap tides are small.</p></body></html>";
        using (var put = await PutFileAsync("originals2", "tides", Encoding.UTF8.GetBytes(Html), ContentTypes.Html))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode); // replaced while the caller waits
        }

        using (var content = await Http.GetAsync("v1/collections/originals2/documents/tides/content"))
        {
            Assert.Equal("text/html", content.Content.Headers.ContentType?.MediaType);
            Assert.Equal(Html, await content.Content.ReadAsStringAsync());
            Assert.Contains("sandbox", content.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        }

        // One original per document: the replaced version's is gone from the store; a delete removes the last one.
        var store = host.App.Services.GetRequiredService<IBlobStore>();
        Assert.Single(await OriginalsAsync(store, "originals2"));
        using (var deleted = await Http.DeleteAsync("v1/collections/originals2/documents/tides"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        Assert.Empty(await OriginalsAsync(store, "originals2"));
        await HttpApiTests.AssertProblemAsync(await Http.GetAsync("v1/collections/originals2/documents/tides/content"), HttpStatusCode.NotFound, "tides");
        await HttpApiTests.AssertProblemAsync(await Http.GetAsync("v1/collections/originals2/documents/never/content"), HttpStatusCode.NotFound, "never");
    }

    private static async Task<List<string>> OriginalsAsync(IBlobStore store, string collection)
    {
        var keys = new List<string>();
        await foreach (var blob in store.ListAsync($"originals/{RagConstants.DefaultTenant}/{collection}/"))
        {
            keys.Add(blob.Key);
        }

        return keys;
    }

    private async Task<HttpResponseMessage> PutFileAsync(string collection, string id, byte[] content, string contentType)
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"v1/collections/{collection}/documents/{Uri.EscapeDataString(id)}") { Content = body };
        return await Http.SendAsync(request);
    }
}
