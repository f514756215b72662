using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansRag.Cli.Evaluation;

namespace OrleansRag.Tests.Http;

/// <summary>
/// Answer ids, feedback and the query log over real HTTP on the real host: every answer (a cached one and a conversation
/// turn too) is recorded and can be rated; the log pages newest first and filters; bad feedback is a 400, an unknown
/// answer a 404; and <c>orag log export</c> writes a set that <c>orag eval</c> evaluates.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class QueryLogTests(RagHostFixture host)
{
    private const string Collection = "query-log";

    private static readonly (string Id, string Title, string Text)[] Documents =
    [
        ("tides", "Tides", "Tides are caused by the gravitational pull of the Moon and the Sun on the oceans. Spring tides happen at new and full moon."),
        ("volcanoes", "Volcanoes", "A volcano erupts when magma rises through the crust. Lava is magma that reaches the surface."),
        ("glaciers", "Glaciers", "Glaciers form where snow accumulates faster than it melts, and the snow is compressed into ice over many years."),
    ];

    private async Task SeedAsync()
    {
        foreach (var (id, title, text) in Documents)
        {
            await host.PutAsync(Collection, id, text, title);
        }
    }

    private async Task<JsonElement> AskAsync(string question, string collection = Collection)
    {
        using var response = await host.Http.PostAsJsonAsync($"v1/collections/{collection}/ask", new { question });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, body.ToString());
        return body;
    }

    private Task<HttpResponseMessage> RateAsync(string answerId, object body, string collection = Collection) =>
        host.Http.PostAsJsonAsync($"v1/collections/{collection}/answers/{answerId}/feedback", body);

    private async Task<JsonElement> LogAsync(string query = "", string collection = Collection) =>
        await host.Http.GetFromJsonAsync<JsonElement>($"v1/collections/{collection}/query-log{query}");

    private static JsonElement Entry(JsonElement page, string answerId) =>
        page.GetProperty("entries").EnumerateArray().Single(e => e.GetProperty("answerId").GetString() == answerId);

    [Fact]
    public async Task Every_answer_has_an_id_and_is_recorded_with_what_it_cited_and_how_long_it_took()
    {
        await SeedAsync();
        var first = await AskAsync("What causes the tides?");
        var again = await AskAsync("What causes the tides?");
        var firstId = first.GetProperty("answerId").GetString()!;
        var againId = again.GetProperty("answerId").GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", firstId);
        Assert.NotEqual(firstId, againId); // a cached answer is a new answer to rate
        Assert.True(again.GetProperty("cached").GetBoolean());

        var page = await LogAsync();
        var entries = page.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("answerId").GetString()).ToList();
        Assert.True(entries.IndexOf(againId) < entries.IndexOf(firstId), "newest first");
        var entry = Entry(page, firstId);
        Assert.Equal("What causes the tides?", entry.GetProperty("question").GetString());
        Assert.Equal("hybrid", entry.GetProperty("mode").GetString());
        Assert.Equal(5, entry.GetProperty("topK").GetInt32());
        Assert.Equal("tides", entry.GetProperty("citations")[0].GetProperty("documentId").GetString());
        Assert.Equal(first.GetProperty("answer").GetString(), entry.GetProperty("answer").GetString());
        Assert.False(entry.GetProperty("noAnswer").GetBoolean());
        Assert.False(entry.GetProperty("cached").GetBoolean());
        Assert.True(Entry(page, againId).GetProperty("cached").GetBoolean());
        Assert.True(entry.GetProperty("timings").GetProperty("totalMs").GetDouble() > 0);
        Assert.False(entry.TryGetProperty("feedback", out _));
    }

    [Fact]
    public async Task Identical_questions_asked_at_once_are_answers_of_their_own()
    {
        await SeedAsync();
        var question = $"What forms glaciers, asked at once ({Guid.NewGuid():N})?";
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => AskAsync(question)));
        var ids = answers.Select(a => a.GetProperty("answerId").GetString()!).ToList();
        Assert.Equal(4, ids.Distinct().Count());
        var logged = (await LogAsync("?limit=100")).GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("answerId").GetString()).ToHashSet();
        Assert.Superset(ids.ToHashSet()!, logged!);
    }

    [Fact]
    public async Task Feedback_is_recorded_replaced_and_filtered_on()
    {
        await SeedAsync();
        var answer = await AskAsync("How does a volcano erupt?");
        var id = answer.GetProperty("answerId").GetString()!;

        using (var up = await RateAsync(id, new { rating = "up" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, up.StatusCode);
        }

        Assert.Equal("up", Entry(await LogAsync("?rating=up"), id).GetProperty("feedback").GetProperty("rating").GetString());

        // A second rating replaces the first.
        using (var down = await RateAsync(id, new { rating = "down", comment = "It should say what lava is." }))
        {
            Assert.Equal(HttpStatusCode.NoContent, down.StatusCode);
        }

        var feedback = Entry(await LogAsync("?rating=down"), id).GetProperty("feedback");
        Assert.Equal("down", feedback.GetProperty("rating").GetString());
        Assert.Equal("It should say what lava is.", feedback.GetProperty("comment").GetString());
        Assert.DoesNotContain((await LogAsync("?rating=up")).GetProperty("entries").EnumerateArray(), e => e.GetProperty("answerId").GetString() == id);
    }

    [Fact]
    public async Task Bad_feedback_is_a_problem_and_an_unknown_answer_is_not_found()
    {
        await SeedAsync();
        var id = (await AskAsync("How do glaciers form?")).GetProperty("answerId").GetString()!;
        var cases = new (string AnswerId, object Body, HttpStatusCode Status, string Says)[]
        {
            (id, new { rating = "meh" }, HttpStatusCode.BadRequest, "rating"),
            (id, new { comment = "no rating" }, HttpStatusCode.BadRequest, "rating is required"),
            (id, new { rating = "up", comment = new string('x', RagConstants.MaxFeedbackCommentLength + 1) }, HttpStatusCode.BadRequest, "comment"),
            ("not-an-id", new { rating = "up" }, HttpStatusCode.BadRequest, "answerId"),
            (new string('0', 32), new { rating = "up" }, HttpStatusCode.NotFound, "no answer"),
        };
        foreach (var (answerId, body, status, says) in cases)
        {
            using var response = await RateAsync(answerId, body);
            var problem = await response.Content.ReadAsStringAsync();
            Assert.True(status == response.StatusCode, $"{answerId} {JsonSerializer.Serialize(body)[..Math.Min(60, JsonSerializer.Serialize(body).Length)]}: {(int)response.StatusCode} {problem}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(says, problem, StringComparison.OrdinalIgnoreCase);
        }

        // The answer belongs to its collection: rated through another it is unknown.
        await host.PutAsync("query-log-other", "note", "A note about something else entirely, written for this test.");
        using (var elsewhere = await RateAsync(id, new { rating = "up" }, "query-log-other"))
        {
            Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);
        }

        using (var badLimit = await host.Http.GetAsync($"v1/collections/{Collection}/query-log?limit=0"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
        }

        using (var missing = await host.Http.GetAsync("v1/collections/no-such-collection-here/query-log"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }
    }

    [Fact]
    public async Task The_log_pages_newest_first_and_records_no_answers_and_follow_ups()
    {
        using (var created = await host.Http.PutAsJsonAsync("v1/collections/query-log-empty", new { }))
        {
            Assert.True(created.IsSuccessStatusCode);
        }

        var ids = new List<string>();
        foreach (var question in new[] { "first question?", "second question?", "third question?" })
        {
            var answer = await AskAsync(question, "query-log-empty");
            Assert.Empty(answer.GetProperty("citations").EnumerateArray());
            ids.Add(answer.GetProperty("answerId").GetString()!);
        }

        var first = await LogAsync("?limit=2", "query-log-empty");
        Assert.Equal([ids[2], ids[1]], first.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("answerId").GetString()));
        Assert.All(first.GetProperty("entries").EnumerateArray(), e => Assert.True(e.GetProperty("noAnswer").GetBoolean()));
        var next = first.GetProperty("next").GetString()!;
        var second = await LogAsync($"?limit=2&before={next}", "query-log-empty");
        Assert.Equal([ids[0]], second.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("answerId").GetString()));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);
        Assert.Equal(3, (await LogAsync("?noAnswer=true", "query-log-empty")).GetProperty("entries").GetArrayLength());

        // A conversation's follow-up is recorded with the standalone question it was answered as, and can be rated.
        await SeedAsync();
        using var created2 = await host.Http.PostAsync($"v1/collections/{Collection}/conversations", null);
        var conversation = (await created2.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        using var turn1 = await host.Http.PostAsJsonAsync($"v1/collections/{Collection}/conversations/{conversation}/messages", new { question = "What are volcanoes?" });
        turn1.EnsureSuccessStatusCode();
        using var turn2 = await host.Http.PostAsJsonAsync($"v1/collections/{Collection}/conversations/{conversation}/messages", new { question = "And how do they erupt?" });
        var followUp = await turn2.Content.ReadFromJsonAsync<JsonElement>();
        var followUpId = followUp.GetProperty("answerId").GetString()!;
        using (var rated = await RateAsync(followUpId, new { rating = "up" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, rated.StatusCode);
        }

        var entry = Entry(await LogAsync("?rating=up"), followUpId);
        Assert.Equal("And how do they erupt?", entry.GetProperty("question").GetString());
        Assert.Equal(followUp.GetProperty("standaloneQuestion").GetString(), entry.GetProperty("rewrittenQuestion").GetString());
    }

    [Fact]
    public async Task Log_export_writes_the_questions_rated_up_as_a_set_that_eval_evaluates()
    {
        const string collection = "query-log-export";
        foreach (var (id, title, text) in Documents)
        {
            await host.PutAsync(collection, id, text, title);
        }

        foreach (var (question, rating) in new[] { ("What causes the tides?", "up"), ("What is lava?", "up"), ("How do glaciers form?", "down") })
        {
            var answer = await AskAsync(question, collection);
            using var rated = await RateAsync(answer.GetProperty("answerId").GetString()!, new { rating }, collection);
            Assert.Equal(HttpStatusCode.NoContent, rated.StatusCode);
        }

        var folder = Directory.CreateTempSubdirectory("orag-log-export-").FullName;
        try
        {
            var (exit, output) = await CliTests.RunOragAsync(host.BaseAddress, "log", "export", "--collection", collection, "-o", folder);
            Assert.True(exit == 0, output);
            Assert.Contains("2 queries from 2 answers rated up", output, StringComparison.Ordinal);

            var set = BeirDataset.Load(folder);
            Assert.Equal(3, set.Corpus.Count);
            Assert.Equal(["What causes the tides?", "What is lava?"], set.Queries.Values.Order(StringComparer.Ordinal));
            var tides = set.Queries.Single(q => q.Value == "What causes the tides?").Key;
            Assert.Contains("tides", set.Qrels[tides].Keys);
            Assert.Contains("Moon", set.Corpus.Single(d => d.Id == "tides").Text, StringComparison.Ordinal);

            var (evaluated, report) = await CliTests.RunOragAsync(host.BaseAddress, "eval", "--dataset", folder, "--collection", "query-log-eval", "--mode", "dense");
            Assert.True(evaluated == 0, report);
            Assert.Contains("2 judged queries", report, StringComparison.Ordinal);
            Assert.Contains("dense", report, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        // Nothing rated up: nothing to export, said so, non-zero exit.
        var (none, message) = await CliTests.RunOragAsync(host.BaseAddress, "log", "export", "--collection", "query-log-empty-export", "-o", Path.Combine(Path.GetTempPath(), "orag-none"));
        Assert.NotEqual(0, none);
        Assert.Contains("error", message, StringComparison.OrdinalIgnoreCase);
    }
}
