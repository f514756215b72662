using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using OrleansRag.Silo.Api;

namespace OrleansRag.Tests.Http;

/// <summary>
/// What programs rely on at the HTTP edge: a body that does not bind names the field and what it accepts (every
/// enum-valued field of every request body, swept by reflection), never a .NET type; latency histograms whose
/// buckets separate ordinary requests.
/// </summary>
[Collection(HostCollection.Name)]
public sealed partial class ApiContractTests(RagHostFixture host)
{
    private static readonly JsonNamingPolicy Naming = JsonNamingPolicy.CamelCase;

    /// <summary>Where each JSON request body of the API is sent; every body type must be here.</summary>
    private static readonly Dictionary<Type, (string Method, string Path, string Valid)> Endpoints = new()
    {
        [typeof(SearchRequest)] = ("POST", "v1/collections/contract/search", """{"query":"grains"}"""),
        [typeof(AskRequest)] = ("POST", "v1/collections/contract/ask", """{"question":"What are grains?"}"""),
        [typeof(PutDocumentRequest)] = ("PUT", "v1/collections/contract/documents/typed", """{"text":"Grains are virtual actors."}"""),
        [typeof(CreateCollectionRequest)] = ("PUT", "v1/collections/contract-settings", "{}"),
        [typeof(EmbeddingsApi.EmbeddingsRequest)] = ("POST", "v1/embeddings", """{"input":"grains"}"""),
        [typeof(SourcesApi.AddSourceRequest)] = ("POST", "v1/collections/contract/sources", """{"id":"contract","kind":"web","url":"http://127.0.0.1:9/"}"""),
        [typeof(QueryLogApi.FeedbackRequest)] = ("POST", $"v1/collections/contract/answers/{new string('0', 32)}/feedback", """{"rating":"up"}"""),
        [typeof(OpenAiChatApi.ChatCompletionRequest)] = ("POST", "v1/chat/completions", """{"model":"contract","messages":[{"role":"user","content":"What are grains?"}]}"""),
    };

    public static TheoryData<string, string> EnumFields()
    {
        var data = new TheoryData<string, string>();
        foreach (var type in RequestBodyTypes())
        {
            foreach (var property in type.GetProperties().Where(p => (Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType).IsEnum))
            {
                data.Add(type.Name, property.Name);
            }
        }

        return data;
    }

    [Fact]
    public void Every_request_body_type_is_covered_by_the_sweep()
    {
        Assert.Empty(RequestBodyTypes().Where(t => !Endpoints.ContainsKey(t)).Select(t => t.Name));
        Assert.NotEmpty(EnumFields());
    }

    [Theory]
    [MemberData(nameof(EnumFields))]
    public async Task A_bad_enum_value_names_the_field_and_every_allowed_value(string typeName, string propertyName)
    {
        var type = RequestBodyTypes().Single(t => t.Name == typeName);
        var property = type.GetProperty(propertyName)!;
        var field = JsonName(property);
        var enumType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        var allowed = Enum.GetNames(enumType)
            .Select(name => enumType.GetField(name)!.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? Naming.ConvertName(name)).ToList();

        foreach (var bad in new[] { "\"no-such-value\"", "42", "true", "[\"dense\"]" })
        {
            var detail = await ProblemDetailAsync(type, field, bad);
            Assert.Contains($"'{field}'", detail, StringComparison.Ordinal);
            Assert.All(allowed, value => Assert.Contains($"\"{value}\"", detail, StringComparison.Ordinal));
            AssertNoTypeNames(detail);
        }
    }

    public static TheoryData<string> AlertRuleEnumFields()
    {
        var data = new TheoryData<string>();
        foreach (var property in typeof(OrleansRag.Monitoring.AlertRule).GetProperties().Where(p => p.PropertyType.IsEnum))
        {
            data.Add(property.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AlertRuleEnumFields))]
    public async Task A_bad_enum_value_in_an_alert_rule_names_the_field_and_every_allowed_value(string propertyName)
    {
        var field = Naming.ConvertName(propertyName);
        var enumType = typeof(OrleansRag.Monitoring.AlertRule).GetProperty(propertyName)!.PropertyType;
        var rule = new Dictionary<string, object> { ["metric"] = "request_latency_seconds", ["window"] = "5m", ["comparator"] = ">", ["threshold"] = 1 };
        rule[field] = "no-such-value";
        using var response = await Http.PutAsJsonAsync("v1/alert-rules/contract-sweep", rule);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{field}: {(int)response.StatusCode} {text}");
        var detail = JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString()!;
        Assert.StartsWith(field, detail, StringComparison.Ordinal);
        Assert.All(Enum.GetNames(enumType), name => Assert.Contains(name, detail, StringComparison.OrdinalIgnoreCase));
        AssertNoTypeNames(detail);
    }

    [Theory]
    [InlineData("POST", "v1/collections/contract/search", """{"query":"grains","filter":{"field":"\ud800","eq":"x"}}""")]
    [InlineData("POST", "v1/collections/contract/ask", """{"question":"why \udc00 grains?"}""")]
    [InlineData("POST", "v1/embeddings", """{"input":"\ud800"}""")]
    [InlineData("POST", "v1/embeddings", """{"input":["fine", "\ud83d\u0041"]}""")]
    [InlineData("PUT", "v1/collections/contract/documents/surrogate", """{"text":"Half a pair \uD800 here."}""")]
    [InlineData("PUT", "v1/alert-rules/surrogate", """{"metric":"cpu_percent","window":"5m","comparator":">","threshold":90,"labels":{"team":"\ud800"}}""")]
    [InlineData("POST", "v1/silences", """{"matchers":{"\udfff":"x"},"duration":"1h"}""")]
    public async Task A_lone_surrogate_anywhere_in_a_body_is_a_400_not_a_fault(string method, string path, string body)
    {
        await host.PutAsync("contract", "present", "A document so that the collection exists.");
        using var response = await SendAsync(method, path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {path}: {(int)response.StatusCode} {text}");
        Assert.Contains("lone surrogate", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("ready")).StatusCode);
    }

    [Fact]
    public async Task A_surrogate_pair_escaped_in_json_is_text_like_any_other()
    {
        using var response = await SendAsync("PUT", "v1/collections/contract/documents/emoji", """{"text":"Grains smile \ud83d\ude00 at virtual actors."}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task A_bad_status_filter_names_the_parameter_and_every_status()
    {
        await host.PutAsync("contract", "listed", "A document so that the collection exists.");
        using var response = await Http.GetAsync("v1/collections/contract/documents?status=finished");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;
        Assert.StartsWith("status", detail, StringComparison.Ordinal);
        Assert.All(Enum.GetNames<DocumentStatus>().Select(Naming.ConvertName), value => Assert.Contains(value, detail, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(typeof(SearchRequest), "topK", "\"five\"", "a whole number")]
    [InlineData(typeof(SearchRequest), "perDocument", "\"yes\"", "true or false")]
    [InlineData(typeof(AskRequest), "stream", "1", "true or false")]
    [InlineData(typeof(AskRequest), "question", "7", "a string")]
    [InlineData(typeof(CreateCollectionRequest), "shardCount", "2.5", "a whole number")]
    [InlineData(typeof(PutDocumentRequest), "title", "{\"a\":1}", "a string")]
    public async Task A_value_of_the_wrong_type_names_the_field_and_the_type_it_needs(Type type, string field, string bad, string expected)
    {
        var detail = await ProblemDetailAsync(type, field, bad);
        Assert.Contains($"'{field}' must be {expected}", detail, StringComparison.Ordinal);
        AssertNoTypeNames(detail);
    }

    [Fact]
    public async Task A_body_that_is_not_an_object_says_so_without_type_names()
    {
        foreach (var (method, path, _) in Endpoints.Values)
        {
            using var response = await SendAsync(method, path, "[1, 2]");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            var detail = body.TryGetProperty("detail", out var problem)
                ? problem.GetString()!
                : body.GetProperty("error").GetProperty("message").GetString()!; // the OpenAI-compatible endpoints answer in OpenAI's shape
            AssertNoTypeNames(detail);
        }
    }

    [Fact]
    public async Task Request_latency_buckets_separate_a_150_ms_request_from_slow_ones()
    {
        await host.PutAsync("contract", "grains", "Grains are the virtual actors of Orleans.");
        using (await Http.PostAsJsonAsync("v1/collections/contract/search", new { query = "virtual actors" }))
        {
        }

        var metrics = await Http.GetStringAsync("metrics");
        var bounds = LatencyBuckets().Matches(metrics).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Distinct().Order().ToList();
        Assert.NotEmpty(bounds);

        // A 150 ms request falls in a bucket at or below 0.25 s, and buckets reach tens of seconds.
        var bucket = bounds.First(b => b >= 0.150);
        Assert.True(bucket <= 0.25, $"a 150 ms request lands in le=\"{bucket}\"; buckets: {string.Join(", ", bounds)}");
        Assert.Contains(bounds, b => b <= 0.01);
        Assert.Contains(bounds, b => b >= 30);
    }

    private HttpClient Http => host.Http;

    private static IEnumerable<Type> RequestBodyTypes() =>
        typeof(SearchRequest).Assembly.GetTypes().Where(t => t.IsPublic || t.IsNestedPublic)
            .Where(t => t.Namespace == typeof(SearchRequest).Namespace && t.Name.EndsWith("Request", StringComparison.Ordinal) && !t.IsInterface);

    private static string JsonName(PropertyInfo property) =>
        property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? Naming.ConvertName(property.Name);

    /// <summary>Sends the endpoint's valid body with <paramref name="field"/> set to <paramref name="json"/>; expects 400.</summary>
    private async Task<string> ProblemDetailAsync(Type type, string field, string json)
    {
        var (method, path, valid) = Endpoints[type];
        var body = valid == "{}" ? $"{{\"{field}\":{json}}}" : valid[..^1] + $",\"{field}\":{json}}}";
        using var response = await SendAsync(method, path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {path} {body}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString()!;
    }

    private async Task<HttpResponseMessage> SendAsync(string method, string path, string body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        return await Http.SendAsync(request);
    }

    private static void AssertNoTypeNames(string detail)
    {
        Assert.DoesNotContain("OrleansRag.", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Nullable", detail, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^orleansrag_request_duration_seconds_bucket\{[^}]*le=""([0-9.eE+-]+)""", RegexOptions.Multiline)]
    private static partial Regex LatencyBuckets();
}
