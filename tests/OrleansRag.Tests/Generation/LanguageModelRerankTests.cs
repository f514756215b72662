using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using OrleansRag.Tests.Http;

namespace OrleansRag.Tests.Generation;

/// <summary>
/// The language-model reranker against a fake OpenAI server over real HTTP: the model is shown the fused candidates
/// and names the best first; the answer is then generated from its choice. A collection made with rerank on reranks
/// every ask; a request can turn it off or on; a reranker that fails or is too slow leaves the fused order, and the
/// response says degraded and why. Searches are reranked the same way.
/// </summary>
public sealed partial class LanguageModelRerankTests : IAsyncLifetime
{
    private FakeOpenAiServer _model = null!;
    private RerankHost _host = null!;

    private sealed class RerankHost(Uri endpoint) : RagHostFixture
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [
            new("Generation:Provider", "OpenAI"),
            new("Generation:Endpoint", endpoint.ToString()),
            new("Generation:Model", "fake-model"),
            new("Generation:ApiKey", "sk-test-rerank"),
            new("Generation:RequestTimeout", "00:00:05"),
            new("Generation:MaxRetries", "0"),
            new("Rerank:Timeout", "00:00:01.500"),
            new("Rerank:Candidates", "4"),
            new("Query:AnswerCacheEntries", "0"), // every ask reaches the model: the tests count its calls
        ];
    }

    public async Task InitializeAsync()
    {
        _model = await FakeOpenAiServer.StartAsync();
        _model.Default = FakeOpenAiServer.Answer("The ferry leaves at noon [1], tides permitting [2].");
        _host = new RerankHost(_model.BaseAddress);
        await _host.InitializeAsync();
        (await _host.Http.PutAsJsonAsync("v1/collections/harbour", new { rerank = true })).EnsureSuccessStatusCode();
        await _host.PutAsync("harbour", "ferry-times", "The ferry to Kellby leaves at noon from pier four.", "ferry-times");
        await _host.PutAsync("harbour", "ferry-history", "The ferry was built in 1920; the ferry has sailed to Kellby ever since.", "ferry-history");
        await _host.PutAsync("harbour", "cafe", "The cafe beside the ferry pier serves tea to people waiting for the ferry.", "cafe");
        await _host.PutAsync("harbour", "tides", "Low tides can delay when boats and the ferry leave the harbour.", "tides");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _model.DisposeAsync();
    }

    /// <summary>The reranker's reply: ferry-times first, then tides, whatever numbers the prompt gave them.</summary>
    private static Func<HttpContext, string, Task> Rank(params string[] best) => (context, body) =>
    {
        var prompt = JsonDocument.Parse(body).RootElement.GetProperty("messages")[1].GetProperty("content").GetString()!;
        Assert.Contains("Passages:", prompt, StringComparison.Ordinal);
        var numbers = best.Select(id => Regex.Match(prompt, $@"\[(\d+)\] {id}:").Groups[1].Value);
        return FakeOpenAiServer.Answer(string.Join(", ", numbers))(context, body);
    };

    private async Task<JsonElement> PostAsync(string path, object body)
    {
        using var response = await _host.Http.PostAsJsonAsync(path, body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return json;
    }

    private static string[] Cited(JsonElement answer) => [.. answer.GetProperty("citations").EnumerateArray().Select(c => c.GetProperty("documentId").GetString()!)];

    [Fact]
    public async Task A_collection_made_with_rerank_has_the_model_choose_the_sources_the_answer_is_generated_from()
    {
        var before = _model.Requests.Count;
        _model.Then(Rank("ferry-times", "tides"));
        var answer = await PostAsync("v1/collections/harbour/ask", new { question = "When does the ferry leave?", topK = 2 });
        Assert.True(answer.GetProperty("reranked").GetBoolean(), answer.ToString());
        Assert.False(answer.GetProperty("degraded").GetBoolean(), answer.ToString());
        Assert.Equal(["ferry-times", "tides"], Cited(answer));

        // Two calls: the ranking (all four candidates shown), then the answer from the two it chose, in its order.
        var calls = _model.Requests.Skip(before).ToList();
        Assert.Equal(2, calls.Count);
        Assert.Contains("[4] ", calls[0].Body, StringComparison.Ordinal);
        var prompt = calls[1].Body;
        Assert.True(prompt.IndexOf("pier four", StringComparison.Ordinal) < prompt.IndexOf("Low tides", StringComparison.Ordinal), prompt);
        Assert.DoesNotContain("serves tea", prompt, StringComparison.Ordinal);
        Assert.True((await _host.Http.GetFromJsonAsync<JsonElement>("v1/collections/harbour")).GetProperty("rerank").GetBoolean());

        // A request may turn it off: one call, nothing reranked.
        before = _model.Requests.Count;
        var plain = await PostAsync("v1/collections/harbour/ask", new { question = "When does the ferry leave?", topK = 2, rerank = false });
        Assert.False(plain.GetProperty("reranked").GetBoolean());
        Assert.Equal(1, _model.Requests.Count - before);
    }

    [Fact]
    public async Task A_reranker_that_names_nothing_or_is_too_slow_leaves_the_fused_order_and_the_answer_says_degraded_and_why()
    {
        var fused = await PostAsync("v1/collections/harbour/search", new { query = "When does the ferry leave?", topK = 2, mode = "hybrid", rerank = false });
        var fusedOrder = fused.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("documentId").GetString()).ToList();

        _model.Then(FakeOpenAiServer.Answer("I cannot tell which passage is best."));
        var confused = await PostAsync("v1/collections/harbour/ask", new { question = "When does the ferry leave?", topK = 2 });
        Assert.True(confused.GetProperty("degraded").GetBoolean());
        Assert.False(confused.GetProperty("reranked").GetBoolean());
        Assert.Contains("rerank: the language model failed", confused.GetProperty("degradedReason").GetString(), StringComparison.Ordinal);
        Assert.Contains("named no passage", confused.GetProperty("degradedReason").GetString(), StringComparison.Ordinal);

        _model.Then(FakeOpenAiServer.Delay(TimeSpan.FromSeconds(10), FakeOpenAiServer.Answer("1, 2")));
        var slow = await PostAsync("v1/collections/harbour/ask", new { question = "When does the ferry leave?", topK = 2 });
        Assert.True(slow.GetProperty("degraded").GetBoolean());
        Assert.Contains("Rerank:Timeout", slow.GetProperty("degradedReason").GetString(), StringComparison.Ordinal);
        Assert.Equal("The ferry leaves at noon [1], tides permitting [2].", slow.GetProperty("answer").GetString()); // still answered, from the fused order

        // A search reranked, and one whose reranker fails: the fused hits, said so.
        _model.Then(Rank("tides", "cafe"));
        var reranked = await PostAsync("v1/collections/harbour/search", new { query = "When does the ferry leave?", topK = 2, mode = "hybrid", rerank = true });
        Assert.True(reranked.GetProperty("reranked").GetBoolean());
        Assert.Equal(["tides", "cafe"], reranked.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("documentId").GetString()));
        var scores = reranked.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("score").GetDouble()).ToList();
        Assert.Equal(scores.OrderDescending(), scores); // the hits' own scores, in the reranker's order
        _model.Then(FakeOpenAiServer.Status(400));
        var failed = await PostAsync("v1/collections/harbour/search", new { query = "When does the ferry leave?", topK = 2, mode = "hybrid", rerank = true });
        Assert.False(failed.GetProperty("reranked").GetBoolean());
        Assert.Equal(fusedOrder, failed.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("documentId").GetString()));
        Assert.Contains("rerank:", failed.GetProperty("degradedReason").GetString(), StringComparison.Ordinal);
    }
}
