using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrleansRag.Tests.Http;

/// <summary>
/// A silo whose index memory budget is 1 MiB (Retrieval:MemoryBudgetMiB): writes beyond it get 507 with problem
/// details naming the setting, nothing acknowledged is lost, deletes make room again, and the metrics summary
/// reports every shard's footprint against the budget.
/// </summary>
public sealed class IndexMemoryTests : IClassFixture<IndexMemoryTests.BudgetHost>
{
    private readonly BudgetHost _host;

    public IndexMemoryTests(BudgetHost host) => _host = host;

    public sealed class BudgetHost : RagHostFixture
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [
            new("Retrieval:MemoryBudgetMiB", "1"),
            new("Monitoring:Interval", "00:00:01"),
            new("Logging:LogLevel:OrleansRag.Audit", "Warning"),
        ];
    }

    private static string Text(int i) =>
        $"Memo {i}: the budget review for unit {i} covers storage, heating and the shared printers of floor {i % 7}. " +
        $"Costs rose {i % 13} percent against last year, mostly for cooling. The committee asks unit {i} to report again next quarter.";

    [Fact]
    public async Task Writes_beyond_the_budget_get_507_and_deletes_make_room_again()
    {
        var http = _host.Http;
        var acknowledged = new List<int>();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 3_000 && refused is null; i++)
        {
            var response = await http.PutAsJsonAsync($"v1/collections/memos/documents/memo-{i}", new { text = Text(i), title = $"Memo {i}" });
            if (response.StatusCode == HttpStatusCode.InsufficientStorage)
            {
                refused = response;
            }
            else
            {
                Assert.True(response.IsSuccessStatusCode, $"memo-{i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                acknowledged.Add(i);
                response.Dispose();
            }
        }

        Assert.NotNull(refused);
        Assert.True(acknowledged.Count >= 50, $"only {acknowledged.Count} documents fit in 1 MiB");
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(507, problem.GetProperty("status").GetInt32());
        Assert.Contains("Retrieval:MemoryBudgetMiB", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        refused.Dispose();

        // Nothing acknowledged was lost, and the refused document was not half-stored.
        var collection = JsonDocument.Parse(await http.GetStringAsync("v1/collections/memos")).RootElement;
        Assert.Equal(acknowledged.Count, collection.GetProperty("documentCount").GetInt32());
        var last = acknowledged[^1];
        var search = JsonDocument.Parse(await (await http.PostAsJsonAsync("v1/collections/memos/search", new { query = $"budget review for unit {last}", topK = 5, mode = "bm25" })).Content.ReadAsStringAsync()).RootElement;
        Assert.Contains(search.GetProperty("hits").EnumerateArray(), hit => hit.GetProperty("documentId").GetString() == $"memo-{last}");

        // Deleting documents frees their memory: the next write fits again.
        foreach (var i in acknowledged.Take(40))
        {
            using var deleted = await http.DeleteAsync($"v1/collections/memos/documents/memo-{i}");
            Assert.True(deleted.IsSuccessStatusCode, $"delete memo-{i}: {(int)deleted.StatusCode}");
        }

        using var again = await http.PutAsJsonAsync("v1/collections/memos/documents/after-delete", new { text = Text(99_999), title = "After delete" });
        Assert.True(again.IsSuccessStatusCode, $"{(int)again.StatusCode} {await again.Content.ReadAsStringAsync()}");

        // The metrics summary shows the shards' footprint against the budget (a snapshot per second here).
        JsonElement index = default;
        await Infrastructure.Eventually.WaitUntilAsync(async () =>
        {
            var summary = JsonDocument.Parse(await http.GetStringAsync("v1/metrics/summary?window=1m")).RootElement;
            index = summary.GetProperty("silos").EnumerateArray().Select(s => s.GetProperty("index")).FirstOrDefault(i => i.ValueKind == JsonValueKind.Object && i.GetProperty("chunks").GetInt64() > 0);
            return index.ValueKind == JsonValueKind.Object && index.GetProperty("largest").EnumerateArray().Any(s => s.GetProperty("shard").GetString()!.StartsWith("default/memos/", StringComparison.Ordinal));
        }, TimeSpan.FromSeconds(60), "the memos shards in the metrics summary", TimeSpan.FromMilliseconds(250));

        Assert.Equal(JsonValueKind.Object, index.ValueKind);
        Assert.Equal(1024 * 1024, index.GetProperty("budgetBytes").GetInt64());
        Assert.InRange(index.GetProperty("totalBytes").GetInt64(), 1, 1024 * 1024);
        var shard = index.GetProperty("largest").EnumerateArray().First(s => s.GetProperty("shard").GetString()!.StartsWith("default/memos/", StringComparison.Ordinal));
        Assert.Equal("Int8", shard.GetProperty("indexKind").GetString());
        Assert.True(shard.GetProperty("vectorBytes").GetInt64() > 0 && shard.GetProperty("textBytes").GetInt64() > 0 && shard.GetProperty("lexicalBytes").GetInt64() > 0);
    }
}
