using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace OrleansRag.Tests.Http;

/// <summary>The HTTP API of the real host over a loopback socket.</summary>
[Collection(HostCollection.Name)]
public sealed partial class HttpApiTests(RagHostFixture host)
{
    private HttpClient Http => host.Http;

    [Fact]
    public async Task Health_is_alive_and_ready_reports_silo_and_model()
    {
        using var health = await Http.GetAsync("health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var ready = await Http.GetFromJsonAsync<JsonElement>("ready");
        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
        var data = ready.GetProperty("checks").GetProperty("silo-and-model").GetProperty("data");
        Assert.True(data.GetProperty("siloActive").GetBoolean());
        Assert.True(data.GetProperty("modelLoaded").GetBoolean());
    }

    [Fact]
    public async Task Document_lifecycle_put_get_list_update_delete()
    {
        const string path = "v1/collections/life/documents/guide";
        using (var created = await Http.PutAsJsonAsync(path, new { title = "Guide", text = "Orleans silos host grains.", metadata = new { team = "platform", version = 2, draft = false } }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("/v1/collections/life/documents/guide", created.Headers.Location?.OriginalString);
            var body = await created.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("created", body.GetProperty("status").GetString());
            Assert.Equal(1, body.GetProperty("chunkCount").GetInt32());
        }

        using (var same = await Http.PutAsJsonAsync(path, new { title = "Guide", text = "Orleans silos host grains.", metadata = new { team = "platform", version = 2, draft = false } }))
        {
            Assert.Equal(HttpStatusCode.OK, same.StatusCode);
            Assert.Equal("unchanged", (await same.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        }

        var document = await Http.GetFromJsonAsync<JsonElement>(path);
        Assert.Equal("Guide", document.GetProperty("title").GetString());
        Assert.Equal("Orleans silos host grains.", document.GetProperty("text").GetString());
        Assert.Equal(2, document.GetProperty("metadata").GetProperty("version").GetDouble());
        Assert.False(document.GetProperty("metadata").GetProperty("draft").GetBoolean());
        Assert.Equal("text/plain", document.GetProperty("contentType").GetString());

        using (var updated = await Http.PutAsJsonAsync(path, new { title = "Guide v2", text = "# Guide\n\nGrains are **virtual actors**.", contentType = "text/markdown" }))
        {
            Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
            Assert.Equal("updated", (await updated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        }

        var list = await Http.GetFromJsonAsync<JsonElement>("v1/collections/life/documents");
        Assert.Equal(1, list.GetProperty("count").GetInt32());
        Assert.Equal("guide", list.GetProperty("documents")[0].GetProperty("id").GetString());
        Assert.Equal("Guide v2", list.GetProperty("documents")[0].GetProperty("title").GetString());

        using (var deleted = await Http.DeleteAsync(path))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        await AssertProblemAsync(await Http.GetAsync(path), HttpStatusCode.NotFound, "guide");
        await AssertProblemAsync(await Http.DeleteAsync(path), HttpStatusCode.NotFound, "guide");
    }

    [Fact]
    public async Task Markdown_title_comes_from_the_first_heading()
    {
        await host.PutAsync("md", "readme", "# Deployment notes\n\nThe *cluster* needs `three` silos.\n", contentType: "text/markdown");
        var document = await Http.GetFromJsonAsync<JsonElement>("v1/collections/md/documents/readme");
        Assert.Equal("Deployment notes", document.GetProperty("title").GetString());
        var search = await PostAsync("v1/collections/md/search", new { query = "how many silos", topK = 1 });
        Assert.Contains("The cluster needs three silos.", search.GetProperty("hits")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_returns_ranked_chunks_with_ids_titles_text_and_scores()
    {
        await host.PutAsync("search", "espresso", "Espresso needs a fine grind and about 25 seconds of extraction under pressure.", "Espresso");
        await host.PutAsync("search", "tides", "Tides are caused by the gravitational pull of the moon and the sun.", "Tides");
        await host.PutAsync("search", "compilers", "A compiler translates source code into machine code before the program runs.", "Compilers");

        var response = await PostAsync("v1/collections/search/search", new { query = "what causes ocean tides", topK = 3 });
        var hits = response.GetProperty("hits").EnumerateArray().ToList();
        Assert.Equal(3, hits.Count);
        Assert.Equal("tides", hits[0].GetProperty("documentId").GetString());
        Assert.Equal("Tides", hits[0].GetProperty("title").GetString());
        Assert.Equal(0, hits[0].GetProperty("chunkIndex").GetInt32());
        Assert.Contains("moon", hits[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        var scores = hits.Select(h => h.GetProperty("score").GetSingle()).ToList();
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.True(response.GetProperty("timings").GetProperty("totalMs").GetDouble() > 0);

        var one = await PostAsync("v1/collections/search/search", new { query = "machine code" });
        Assert.Equal(3, one.GetProperty("hits").GetArrayLength()); // default topK 5, only 3 chunks exist
    }

    [Fact]
    public async Task Ask_returns_answer_whose_markers_resolve_to_citations_with_timings()
    {
        await host.PutAsync("ask", "rivers", "The Nile is about 6,650 kilometres long and flows north into the Mediterranean Sea. It passes through eleven countries.", "Nile");
        await host.PutAsync("ask", "mountains", "Mount Everest is 8,849 metres high and lies on the border of Nepal and China.", "Everest");

        var answer = await PostAsync("v1/collections/ask/ask", new { question = "How long is the Nile river?", topK = 2 });
        var text = answer.GetProperty("answer").GetString()!;
        Assert.Contains("6,650 kilometres", text, StringComparison.Ordinal);
        var citations = answer.GetProperty("citations").EnumerateArray().ToList();
        var numbers = citations.Select(c => c.GetProperty("n").GetInt32()).ToList();
        var markers = Marker().Matches(text).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order().ToList();
        Assert.Equal(markers, numbers.Order());
        Assert.Equal("rivers", citations[0].GetProperty("documentId").GetString());
        Assert.Equal("Nile", citations[0].GetProperty("title").GetString());
        Assert.False(string.IsNullOrEmpty(citations[0].GetProperty("snippet").GetString()));
        Assert.True(citations[0].GetProperty("score").GetSingle() > 0.3f);
        var timings = answer.GetProperty("timings");
        foreach (var name in new[] { "embedMs", "retrieveMs", "generateMs", "totalMs" })
        {
            Assert.True(timings.GetProperty(name).GetDouble() >= 0, name);
        }
    }

    [Fact]
    public async Task Ask_streams_the_extractive_answer_as_server_sent_events()
    {
        await host.PutAsync("ask-stream", "rivers", "The Nile is about 6,650 kilometres long and flows north into the Mediterranean Sea.", "Nile");
        var events = await OrleansRag.Tests.Generation.LanguageModelGenerationTests.AskStreamAsync(Http, "ask-stream", "How long is the Nile?");
        Assert.Equal(["token", "done"], events.Select(e => e.Event));
        Assert.Equal(events[0].Data.GetProperty("text").GetString(), events[1].Data.GetProperty("answer").GetString());
        Assert.Equal("rivers", events[1].Data.GetProperty("citations")[0].GetProperty("documentId").GetString());

        await AssertProblemAsync(
            await Http.PostAsJsonAsync("v1/collections/no-such-collection/ask", new { question = "anything?", stream = true }),
            HttpStatusCode.NotFound, "no-such-collection");
    }

    public static TheoryData<string, string, string?, string, HttpStatusCode, string> BadRequests => new()
    {
        // method, path, JSON body (null = none), content type, expected status, words the problem detail must contain
        { "PUT", "v1/collections/bad/documents/d1", """{"text":"   "}""", "application/json", HttpStatusCode.BadRequest, "text must not be empty" },
        { "PUT", "v1/collections/bad/documents/d1", """{"title":"no text"}""", "application/json", HttpStatusCode.BadRequest, "text must not be empty" },
        { "PUT", "v1/collections/bad/documents/d1", """{"text": "x", "contentType": "application/pdf"}""", "application/json", HttpStatusCode.BadRequest, "contentType" },
        { "PUT", "v1/collections/bad/documents/d1", """{"text": "abc", """, "application/json", HttpStatusCode.BadRequest, "Malformed JSON" },
        { "PUT", "v1/collections/bad/documents/d1", """{"text": "x", "metadata": {"tags": [1,2]}}""", "application/json", HttpStatusCode.BadRequest, "metadata.tags" },
        { "PUT", "v1/collections/bad/documents/d1", null, "application/json", HttpStatusCode.BadRequest, "body is required" },
        { "PUT", "v1/collections/bad/documents/d1", """{"text":"x"}""", "application/xml", HttpStatusCode.UnsupportedMediaType, "application/pdf" },
        { "PUT", "v1/collections/bad/documents/a%2Fb", """{"text":"x"}""", "application/json", HttpStatusCode.BadRequest, "must not contain '/'" },
        { "PUT", "v1/collections/bad/documents/tab%09id", """{"text":"x"}""", "application/json", HttpStatusCode.BadRequest, "control characters" },
        { "PUT", "v1/collections/bad/documents/%20leading", """{"text":"x"}""", "application/json", HttpStatusCode.BadRequest, "white space" },
        { "PUT", "v1/collections/bad%20space/documents/x", """{"text":"x"}""", "application/json", HttpStatusCode.BadRequest, "path characters" },
        { "PUT", "v1/collections/bad/documents/" + new string('x', 257), """{"text":"x"}""", "application/json", HttpStatusCode.BadRequest, "257 characters" },
        { "PUT", "v1/collections/" + new string('c', 300) + "/documents/d", """{"text":"x"}""", "application/json", HttpStatusCode.BadRequest, "collection is 300 characters" },
        { "GET", "v1/collections/bad/documents/missing", null, "", HttpStatusCode.NotFound, "missing" },
        { "GET", "v1/collections/no-such-collection/documents", null, "", HttpStatusCode.NotFound, "no-such-collection" },
        { "POST", "v1/collections/no-such-collection/search", """{"query":"x"}""", "application/json", HttpStatusCode.NotFound, "no-such-collection" },
        { "POST", "v1/collections/no-such-collection/ask", """{"question":"x"}""", "application/json", HttpStatusCode.NotFound, "no-such-collection" },
        { "POST", "v1/collections/bad/search", """{"query":"x","topK":0}""", "application/json", HttpStatusCode.BadRequest, "topK must be between 1 and 100" },
        { "POST", "v1/collections/bad/search", """{"query":"x","topK":101}""", "application/json", HttpStatusCode.BadRequest, "topK must be between 1 and 100" },
        { "POST", "v1/collections/bad/ask", """{"question":"x","topK":-3}""", "application/json", HttpStatusCode.BadRequest, "topK must be between 1 and 100" },
        { "POST", "v1/collections/bad/ask", """{"question":"  "}""", "application/json", HttpStatusCode.BadRequest, "question must not be empty" },
        { "POST", "v1/collections/bad/search", """{"query":"x","topK":"ten"}""", "application/json", HttpStatusCode.BadRequest, "'topK' must be a whole number" },
        { "POST", "v1/embeddings", """{"input":""}""", "application/json", HttpStatusCode.BadRequest, "input must not be an empty string" },
        { "POST", "v1/embeddings", """{"input":[1,2,3]}""", "application/json", HttpStatusCode.BadRequest, "input[0]" },
        { "POST", "v1/embeddings", """{"input":"x","model":"text-embedding-3-small"}""", "application/json", HttpStatusCode.BadRequest, "all-MiniLM-L6-v2" },
        { "POST", "v1/embeddings", """{"input":"x","encoding_format":"int8"}""", "application/json", HttpStatusCode.BadRequest, "encoding_format" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_gets_a_problem_that_names_it_and_the_silo_keeps_serving(
        string method, string path, string? body, string contentType, HttpStatusCode status, string detail)
    {
        await host.PutAsync("bad", "exists", "A document so that collection 'bad' exists.");
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }
        else if (method == "PUT")
        {
            request.Content = new ByteArrayContent([]);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }

        await AssertProblemAsync(await Http.SendAsync(request), status, detail);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("ready")).StatusCode);
    }

    [Fact]
    public async Task Non_utf8_body_is_rejected()
    {
        using var content = new ByteArrayContent([.. "{\"text\":\""u8, 0xC3, 0x28, 0xFF, .. "\"}"u8]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        await AssertProblemAsync(await Http.PutAsync("v1/collections/bad/documents/latin1", content), HttpStatusCode.BadRequest, "UTF-8");
    }

    [Fact]
    public async Task Document_over_the_size_limit_gets_413()
    {
        var text = new string('a', RagHostFixture.MaxDocumentBytes + 1);
        await AssertProblemAsync(await Http.PutAsJsonAsync("v1/collections/bad/documents/huge", new { text }), HttpStatusCode.RequestEntityTooLarge, "limit");

        var muchLarger = new string('b', RagHostFixture.MaxDocumentBytes * 4);
        await AssertProblemAsync(await Http.PutAsJsonAsync("v1/collections/bad/documents/huge", new { text = muchLarger }), HttpStatusCode.RequestEntityTooLarge, "limit");
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("health")).StatusCode);
    }

    [Fact]
    public async Task Unknown_route_gets_a_problem_body()
    {
        using var response = await Http.GetAsync("v1/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private async Task<JsonElement> PostAsync(string path, object body)
    {
        using var response = await Http.PostAsJsonAsync(path, body);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    internal static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detail)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
            Assert.True(problem.TryGetProperty("title", out _));
            Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [GeneratedRegex(@"\[(\d+)\]")]
    private static partial Regex Marker();
}
