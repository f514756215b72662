using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansRag.Tests.Http;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Conversations;

/// <summary>Conversations over real HTTP on the real host: create, turns (plain and streamed), history, listing, delete, errors.</summary>
[Collection(HostCollection.Name)]
public sealed class ConversationApiTests(RagHostFixture host) : TwoProductsHostTests(host)
{
    private async Task<string> CreateAsync()
    {
        using var response = await Host.Http.PostAsync($"v1/collections/{Collection}/conversations", null);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = body.GetProperty("id").GetString()!;
        Assert.Equal($"/v1/collections/{Collection}/conversations/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(0, body.GetProperty("turnCount").GetInt32());
        return id;
    }

    private async Task<JsonElement> SendAsync(string id, string question, object? extra = null)
    {
        using var response = await Host.Http.PostAsJsonAsync($"v1/collections/{Collection}/conversations/{id}/messages", extra ?? new { question });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, body.ToString());
        return body;
    }

    private static string TopDocument(JsonElement answer) => answer.GetProperty("citations")[0].GetProperty("documentId").GetString()!;

    [Fact]
    public async Task A_follow_up_is_answered_from_what_the_conversation_is_about()
    {
        // On its own, the follow-up is about the other product: that is what the conversation must fix.
        using var alone = await Host.Http.PostAsJsonAsync($"v1/collections/{Collection}/ask", new { question = TwoProducts.FollowUp });
        var aloneAnswer = await alone.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("boreas", TopDocument(aloneAnswer), StringComparison.Ordinal);

        var id = await CreateAsync();
        var first = await SendAsync(id, TwoProducts.FirstQuestion);
        Assert.Equal(1, first.GetProperty("turn").GetInt32());
        Assert.Equal(id, first.GetProperty("conversationId").GetString());
        Assert.False(first.TryGetProperty("standaloneQuestion", out _), "a first question is answered as written");
        Assert.Equal("zephyr-placement", TopDocument(first));

        var second = await SendAsync(id, TwoProducts.FollowUp);
        Assert.Equal(2, second.GetProperty("turn").GetInt32());
        Assert.Equal(TwoProducts.FollowUp, second.GetProperty("question").GetString());
        var rewrite = second.GetProperty("standaloneQuestion").GetString()!;
        Assert.Contains("zephyr", rewrite, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("zephyr-membership", TopDocument(second));
        Assert.Contains("probe", second.GetProperty("answer").GetString()!, StringComparison.OrdinalIgnoreCase);
        Assert.True(second.GetProperty("timings").GetProperty("condenseMs").GetDouble() >= 0);
    }

    [Fact]
    public async Task History_listing_and_delete()
    {
        var id = await CreateAsync();
        await SendAsync(id, TwoProducts.FirstQuestion);
        await SendAsync(id, TwoProducts.FollowUp);

        var conversation = await Host.Http.GetFromJsonAsync<JsonElement>($"v1/collections/{Collection}/conversations/{id}");
        Assert.Equal(2, conversation.GetProperty("turnCount").GetInt32());
        Assert.Equal(TwoProducts.FirstQuestion, conversation.GetProperty("title").GetString());
        var turns = conversation.GetProperty("turns").EnumerateArray().ToList();
        Assert.Equal([1, 2], turns.Select(t => t.GetProperty("n").GetInt32()));
        Assert.Equal([TwoProducts.FirstQuestion, TwoProducts.FollowUp], turns.Select(t => t.GetProperty("question").GetString()));
        Assert.NotEmpty(turns[1].GetProperty("citations").EnumerateArray());
        Assert.Contains("zephyr", turns[1].GetProperty("standaloneQuestion").GetString()!, StringComparison.OrdinalIgnoreCase);
        Assert.True(conversation.GetProperty("expiresAt").GetDateTimeOffset() > conversation.GetProperty("lastActiveAt").GetDateTimeOffset());

        var listed = await Host.Http.GetFromJsonAsync<JsonElement>($"v1/collections/{Collection}/conversations");
        var entry = listed.GetProperty("conversations").EnumerateArray().Single(c => c.GetProperty("id").GetString() == id);
        Assert.Equal(TwoProducts.FirstQuestion, entry.GetProperty("title").GetString());

        using (var deleted = await Host.Http.DeleteAsync($"v1/collections/{Collection}/conversations/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using (var gone = await Host.Http.GetAsync($"v1/collections/{Collection}/conversations/{id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
            Assert.Equal("application/problem+json", gone.Content.Headers.ContentType?.MediaType);
        }

        using (var again = await Host.Http.DeleteAsync($"v1/collections/{Collection}/conversations/{id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        }

        using (var send = await Host.Http.PostAsJsonAsync($"v1/collections/{Collection}/conversations/{id}/messages", new { question = "Still there?" }))
        {
            Assert.Equal(HttpStatusCode.NotFound, send.StatusCode);
        }

        listed = await Host.Http.GetFromJsonAsync<JsonElement>($"v1/collections/{Collection}/conversations");
        Assert.DoesNotContain(listed.GetProperty("conversations").EnumerateArray(), c => c.GetProperty("id").GetString() == id);
    }

    [Theory]
    [InlineData("query")]
    [InlineData("accept")]
    [InlineData("body")]
    public async Task A_turn_streams_tokens_then_done_with_the_turn(string how)
    {
        var id = await CreateAsync();
        await SendAsync(id, TwoProducts.FirstQuestion);
        var path = $"v1/collections/{Collection}/conversations/{id}/messages" + (how == "query" ? "?stream=true" : "");
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = JsonContent.Create(how == "body" ? (object)new { question = TwoProducts.FollowUp, stream = true } : new { question = TwoProducts.FollowUp }),
        };
        if (how == "accept")
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        }

        using var response = await Host.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var events = await ServerSentEvents.ReadAsync(response);

        Assert.Equal("token", events[0].Event);
        var done = events[^1];
        Assert.Equal("done", done.Event);
        Assert.Equal(2, done.Data.GetProperty("turn").GetInt32());
        Assert.Equal(id, done.Data.GetProperty("conversationId").GetString());
        Assert.Equal("zephyr-membership", TopDocument(done.Data));
        Assert.Equal(string.Concat(events.Where(e => e.Event == "token").Select(e => e.Data.GetProperty("text").GetString())), done.Data.GetProperty("answer").GetString());

        var conversation = await Host.Http.GetFromJsonAsync<JsonElement>($"v1/collections/{Collection}/conversations/{id}");
        Assert.Equal(2, conversation.GetProperty("turns").GetArrayLength());
    }

    [Fact]
    public async Task Bad_requests_get_problem_details()
    {
        var id = await CreateAsync();
        (string Method, string Path, object? Body, HttpStatusCode Status)[] cases =
        [
            ("POST", $"v1/collections/{Collection}/conversations/{id}/messages", new { question = "" }, HttpStatusCode.BadRequest),
            ("POST", $"v1/collections/{Collection}/conversations/{id}/messages", new { question = "q", topK = 1000 }, HttpStatusCode.BadRequest),
            ("POST", $"v1/collections/{Collection}/conversations/{id}/messages", new { question = "q", mode = "fuzzy" }, HttpStatusCode.BadRequest),
            ("POST", $"v1/collections/{Collection}/conversations/no-such-id/messages", new { question = "q" }, HttpStatusCode.NotFound),
            ("POST", $"v1/collections/{Collection}/conversations/no-such-id/messages?stream=true", new { question = "q" }, HttpStatusCode.NotFound),
            ("POST", "v1/collections/no-such-collection/conversations", null, HttpStatusCode.NotFound),
            ("GET", $"v1/collections/{Collection}/conversations/no-such-id", null, HttpStatusCode.NotFound),
            ("GET", "v1/collections/bad%5Cname/conversations", null, HttpStatusCode.BadRequest),
        ];
        foreach (var (method, path, body, status) in cases)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = body is null ? null : JsonContent.Create(body) };
            using var response = await Host.Http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(status == response.StatusCode, $"{method} {path}: expected {(int)status}, got {(int)response.StatusCode}: {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }
}
