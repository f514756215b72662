using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansRag.Tests.Http;

namespace OrleansRag.Tests.Monitoring;

/// <summary>/v1/alert-rules, /v1/alerts and /v1/silences over HTTP: the default rules, CRUD, and bad definitions.</summary>
[Collection(HostCollection.Name)]
public sealed class AlertRulesApiTests(RagHostFixture host)
{
    public static TheoryData<string, string> BadRules => new()
    {
        { """{"metric":"qps_of_doom","window":"5m","comparator":">","threshold":1}""", "metric: unknown metric 'qps_of_doom'" },
        { """{"window":"5m","comparator":">","threshold":1}""", "metric is required" },
        { """{"metric":"cpu_percent","window":"-5m","comparator":">","threshold":1}""", "window must be a positive duration" },
        { """{"metric":"cpu_percent","window":"0s","comparator":">","threshold":1}""", "window must be a positive duration" },
        { """{"metric":"cpu_percent","comparator":">","threshold":1}""", "window is required" },
        { """{"metric":"cpu_percent","window":"5m","comparator":">","threshold":"eighty"}""", "threshold must be a number; it was \"eighty\"" },
        { """{"metric":"cpu_percent","window":"5m","comparator":">"}""", "threshold is required" },
        { """{"metric":"cpu_percent","window":"5m","comparator":"~","threshold":1}""", "comparator must be >, >=, < or <=" },
        { """{"metric":"cpu_percent","window":"5m","comparator":">","threshold":1,"aggregation":"median"}""", "aggregation must be one of avg, min, max, sum, rate, p95" },
        { """{"metric":"cpu_percent","window":"5m","comparator":">","threshold":1,"severity":"apocalyptic"}""", "severity must be one of info, warning, critical" },
        { """{"metric":"cpu_percent","window":"5m","comparator":">","threshold":1,"for":"soon"}""", "for must be a non-negative duration" },
        { """{"metric":"cpu_percent","window":"5m","comparator":">","threshold":1,"labels":{"team":3}}""", "labels must be an object of strings" },
        { """{"metric":"cpu_percent","window":"5m","comparator":">","threshold":1,"operation":"ask"}""", "operation must be one of" },
        { """{"metric":"cpu_percent","window":"5m","comparator":">","threshold":1,"treshold":2}""", "treshold: not a field of an alert rule" },
        { """[1,2]""", "The body must be a JSON object" },
    };

    [Theory]
    [MemberData(nameof(BadRules))]
    public async Task A_bad_rule_gets_400_naming_the_field(string body, string expected)
    {
        using var response = await host.Http.PutAsync("v1/alert-rules/Bad", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(expected, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        using var missing = await host.Http.GetAsync("v1/alert-rules/Bad");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task The_default_rules_exist_and_rules_can_be_created_read_replaced_and_deleted()
    {
        // The defaults of the seed design, created once at the first start.
        JsonElement[] rules = [];
        await Infrastructure.Eventually.WaitUntilAsync(async () =>
        {
            rules = [.. (await host.Http.GetFromJsonAsync<JsonElement>("v1/alert-rules")).EnumerateArray()];
            return rules.Length >= 6;
        }, TimeSpan.FromSeconds(20), "the six default rules", TimeSpan.FromMilliseconds(200));

        var names = rules.Select(r => r.GetProperty("name").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "HighSearchLatency", "HighAskLatency", "HighErrorRate", "HighCpu", "HighMemory", "ServiceUnavailable" }, names);
        var unavailable = rules.Single(r => r.GetProperty("name").GetString() == "ServiceUnavailable");
        Assert.Equal("critical", unavailable.GetProperty("severity").GetString());
        Assert.Equal("00:00:30", unavailable.GetProperty("noDataAfter").GetString());

        var body = new { metric = "error_percent", window = "10m", comparator = ">=", threshold = 2.5, @for = "2m", severity = "warning", labels = new { team = "core" } };
        using (var created = await host.Http.PostAsJsonAsync("v1/alert-rules", new { name = "CrudRule", body.metric, body.window, body.comparator, body.threshold, body.@for, body.severity, body.labels }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var again = await host.Http.PostAsJsonAsync("v1/alert-rules", new { name = "CrudRule", body.metric, body.window, body.comparator, body.threshold }))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        }

        var read = await host.Http.GetFromJsonAsync<JsonElement>("v1/alert-rules/CrudRule");
        Assert.Equal(("error_percent", "greaterOrEqual", 2.5, "00:02:00", "core"),
            (read.GetProperty("metric").GetString(), read.GetProperty("comparator").GetString(), read.GetProperty("threshold").GetDouble(),
             read.GetProperty("for").GetString(), read.GetProperty("labels").GetProperty("team").GetString()));

        using (var replaced = await host.Http.PutAsJsonAsync("v1/alert-rules/CrudRule", body with { threshold = 9.0 }))
        {
            Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        }

        Assert.Equal(9.0, (await host.Http.GetFromJsonAsync<JsonElement>("v1/alert-rules/CrudRule")).GetProperty("threshold").GetDouble());
        Assert.Equal(HttpStatusCode.NoContent, (await host.Http.DeleteAsync("v1/alert-rules/CrudRule")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.DeleteAsync("v1/alert-rules/CrudRule")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync("v1/alert-rules/CrudRule")).StatusCode);
    }

    [Fact]
    public async Task Silences_are_created_listed_and_deleted_and_bad_ones_get_400()
    {
        using var created = await host.Http.PostAsJsonAsync("v1/silences", new { matchers = new { alertname = "HighCpu", silo = "a" }, duration = "30m", comment = "maintenance" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var silence = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = silence.GetProperty("id").GetString()!;
        Assert.Contains((await host.Http.GetFromJsonAsync<JsonElement>("v1/silences")).EnumerateArray(), s => s.GetProperty("id").GetString() == id);
        Assert.Equal(HttpStatusCode.NoContent, (await host.Http.DeleteAsync($"v1/silences/{id}")).StatusCode);
        Assert.DoesNotContain((await host.Http.GetFromJsonAsync<JsonElement>("v1/silences")).EnumerateArray(), s => s.GetProperty("id").GetString() == id);

        foreach (var bad in new object[] { new { duration = "1h" }, new { matchers = new { alertname = "x" } }, new { matchers = new { alertname = "x" }, endsAt = "2000-01-01T00:00:00Z" } })
        {
            using var response = await host.Http.PostAsJsonAsync("v1/silences", bad);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        using var alerts = await host.Http.GetAsync("v1/alerts");
        Assert.Equal(HttpStatusCode.OK, alerts.StatusCode);
    }
}
