using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansRag.Retrieval;
using OrleansRag.Tests.Engines;
using OrleansRag.Tests.Http;

namespace OrleansRag.Tests.Quality;

/// <summary>Metadata filters: parsed from JSON, applied inside shards before top-k, checked against brute force.</summary>
public sealed class MetadataFilterTests
{
    private sealed record Doc(string Id, string Team, double Year, string[] Tags, DateTimeOffset Published, bool Draft, float[] Vector)
    {
        public IReadOnlyDictionary<string, MetadataValue> Metadata => new Dictionary<string, MetadataValue>
        {
            ["team"] = Team,
            ["year"] = Year,
            ["tags"] = Tags,
            ["published"] = Published.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["draft"] = Draft,
        };
    }

    private static readonly string[] Teams = ["core", "web", "data", "ops"];
    private static readonly string[] TagPool = ["alpha", "beta", "gamma", "delta", "eps"];

    private static List<Doc> RandomDocs(Random random, int count) =>
        [.. Enumerable.Range(0, count).Select(i => new Doc(
            $"doc-{i:D3}",
            Teams[random.Next(Teams.Length)],
            2015 + random.Next(10),
            [.. TagPool.Where(_ => random.NextDouble() < 0.3)],
            new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(random.Next(1500)),
            random.NextDouble() < 0.2,
            VectorIndexTests.RandomUnitVector(random)))];

    /// <summary>Random filters as (JSON the API accepts, independent C# reference predicate).</summary>
    private static (string Json, Func<Doc, bool> Reference) RandomFilter(Random random, int depth = 0)
    {
        switch (depth < 2 ? random.Next(8) : random.Next(5))
        {
            case 0:
                var team = Teams[random.Next(Teams.Length)];
                return ($$"""{"field":"team","eq":"{{team}}"}""", d => d.Team == team);
            case 1:
                var tags = TagPool.OrderBy(_ => random.Next()).Take(2).ToArray();
                return ($$"""{"field":"tags","in":["{{tags[0]}}","{{tags[1]}}"]}""", d => d.Tags.Intersect(tags).Any());
            case 2:
                var from = 2015 + random.Next(10);
                var to = from + random.Next(5);
                return ($$"""{"field":"year","gte":{{from}},"lt":{{to}}}""", d => d.Year >= from && d.Year < to);
            case 3:
                var after = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(random.Next(1500));
                return ($$"""{"field":"published","gt":"{{after:yyyy-MM-dd}}"}""", d => d.Published > after);
            case 4:
                var draft = random.Next(2) == 0;
                return ($$"""{"field":"draft","eq":{{(draft ? "true" : "false")}}}""", d => d.Draft == draft);
            case 5:
                var inner = RandomFilter(random, depth + 1);
                return ($$"""{"not":{{inner.Json}}}""", d => !inner.Reference(d));
            default:
                var parts = Enumerable.Range(0, 2 + random.Next(2)).Select(_ => RandomFilter(random, depth + 1)).ToList();
                var and = random.Next(2) == 0;
                return ($$"""{"{{(and ? "and" : "or")}}":[{{string.Join(",", parts.Select(p => p.Json))}}]}""",
                    d => and ? parts.All(p => p.Reference(d)) : parts.Any(p => p.Reference(d)));
        }
    }

    [Theory]
    [MemberData(nameof(VectorIndexTests.Kinds), MemberType = typeof(VectorIndexTests))]
    public async Task Filtered_top_k_equals_brute_force_over_the_documents_that_pass(string kind)
    {
        var random = new Random(2024);
        var docs = RandomDocs(random, 300);
        var shards = Enumerable.Range(0, 4).Select(_ => VectorIndexTests.Create(kind, 32)).ToArray();
        foreach (var d in docs)
        {
            shards[ShardRouter.ShardFor(d.Id, shards.Length)].Upsert(d.Id, [new IndexedChunk(d.Id + "#0", d.Id, 0, d.Id, "", d.Vector)]);
        }

        await VectorIndexTests.ReadyAsync(shards);
        var byId = docs.ToDictionary(d => d.Id);
        for (var round = 0; round < 200; round++)
        {
            var (json, reference) = RandomFilter(random);
            var (filter, problem) = MetadataFilter.Parse(JsonDocument.Parse(json).RootElement);
            Assert.True(problem is null, problem);
            var query = VectorIndexTests.RandomUnitVector(random);
            var merged = SearchHits.TopK(shards.SelectMany(s => s.Search(query, 10, perDocument: true, id => filter!.Matches(byId[id].Metadata))), 10, false);
            var expected = docs.Where(reference)
                .Select(d => (d.Id, Score: d.Vector.Zip(query, (a, b) => (double)a * b).Sum()))
                .OrderByDescending(x => x.Score).Take(10).Select(x => x.Id).ToList();
            Assert.True(expected.SequenceEqual(merged.Select(h => h.DocumentId)), $"filter {json}: expected [{string.Join(",", expected)}] got [{string.Join(",", merged.Select(h => h.DocumentId))}]");
        }
    }

    [Theory]
    [InlineData("""{"field":"year","gte":"soon"}""", "filter.gte must be a number or an ISO-8601 date")]
    [InlineData("""{"field":"team","like":"c%"}""", "unknown operator \"like\"")]
    [InlineData("""{"field":"team"}""", "has no operator")]
    [InlineData("""{"and":[]}""", "filter.and must be a non-empty array")]
    [InlineData("""{"and":[{"field":"team","eq":"core"},{"field":"x","eq":{"a":1}}]}""", "filter.and[1].eq must be a string, number or boolean")]
    [InlineData("""{"field":"year","gte":2020,"lt":"2024-01-01"}""", "mix numbers and dates")]
    [InlineData("""["team"]""", "filter must be an object")]
    [InlineData("""{"eq":"core"}""", "needs \"field\"")]
    public void Bad_filters_name_the_problem(string json, string problem)
    {
        var (filter, message) = MetadataFilter.Parse(JsonDocument.Parse(json).RootElement);
        Assert.Null(filter);
        Assert.Contains(problem, message, StringComparison.Ordinal);
    }
}

/// <summary>Filters over HTTP against the real host: selective filters still return k results.</summary>
[Collection(HostCollection.Name)]
public sealed class MetadataFilterApiTests(RagHostFixture host)
{
    [Fact]
    public async Task A_selective_filter_still_returns_k_results_and_only_matching_documents()
    {
        for (var i = 0; i < 40; i++)
        {
            var team = i % 10 == 0 ? "rare" : "common";
            using var put = await host.Http.PutAsJsonAsync($"v1/collections/filtered/documents/d{i}", new
            {
                text = $"Maintenance report {i} about pumps, valves and pressure readings in hall {i % 7}.",
                metadata = new { team, year = 2000 + i, tags = i % 2 == 0 ? new[] { "even" } : ["odd"] },
            });
            put.EnsureSuccessStatusCode();
        }

        foreach (var mode in new[] { "dense", "bm25", "hybrid" })
        {
            using var response = await host.Http.PostAsJsonAsync("v1/collections/filtered/search", new
            {
                query = "pressure readings",
                topK = 4,
                mode,
                filter = new { and = new object[] { new { field = "team", eq = "rare" }, new { field = "year", gte = 2000, lt = 2040 } } },
            });
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(response.IsSuccessStatusCode, body.ToString());
            var ids = body.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("documentId").GetString()).ToList();
            Assert.Equal(["d0", "d10", "d20", "d30"], ids.Order());
        }

        using var ask = await host.Http.PostAsJsonAsync("v1/collections/filtered/ask", new
        {
            question = "What do the maintenance reports cover?",
            filter = new { field = "tags", @in = new[] { "odd" } },
        });
        var answer = await ask.Content.ReadFromJsonAsync<JsonElement>();
        Assert.All(answer.GetProperty("citations").EnumerateArray(), c =>
            Assert.Equal(1, int.Parse(c.GetProperty("documentId").GetString()![1..], CultureInfo.InvariantCulture) % 2));
    }

    [Fact]
    public async Task A_bad_filter_gets_400_naming_the_problem()
    {
        await host.PutAsync("filtered-bad", "a", "Some text so the collection exists.");
        await HttpApiTests.AssertProblemAsync(
            await host.Http.PostAsJsonAsync("v1/collections/filtered-bad/search", new { query = "text", filter = new { field = "year", between = new[] { 1, 2 } } }),
            HttpStatusCode.BadRequest, "unknown operator \"between\"");
        await HttpApiTests.AssertProblemAsync(
            await host.Http.PostAsJsonAsync("v1/collections/filtered-bad/ask", new { question = "text", filter = new { field = "year", gt = "never" } }),
            HttpStatusCode.BadRequest, "filter.gt must be a number or an ISO-8601 date");
    }
}
