using System.Net;
using System.Net.Http.Json;
using OrleansRag.Security;

namespace OrleansRag.Tests.Security;

/// <summary>
/// Every /v1 endpoint x role x tenant over real HTTP: the status each combination must give, and that no response
/// to one tenant ever carries a marker, title, document id or collection name of the other.
/// </summary>
[Collection(SecuredHostCollection.Name)]
public sealed partial class TenantIsolationTests(SecuredHostFixture host)
{
    private sealed record Call(string Name, HttpMethod Method, string Path, object? Body, RagRole Needs, HttpStatusCode Ok);

    /// <summary>Every endpoint, aimed at the caller's own data (an own document, the shared collection name).</summary>
    private static IEnumerable<Call> Calls(string tenant, string run) =>
    [
        new("me", HttpMethod.Get, "v1/me", null, RagRole.Reader, HttpStatusCode.OK),
        new("list collections", HttpMethod.Get, "v1/collections", null, RagRole.Reader, HttpStatusCode.OK),
        new("get collection", HttpMethod.Get, "v1/collections/shared", null, RagRole.Reader, HttpStatusCode.OK),
        new("list documents", HttpMethod.Get, "v1/collections/shared/documents", null, RagRole.Reader, HttpStatusCode.OK),
        new("get document", HttpMethod.Get, $"v1/collections/shared/documents/{tenant}-doc-1", null, RagRole.Reader, HttpStatusCode.OK),
        new("search", HttpMethod.Post, "v1/collections/shared/search", new { query = "why do volcanoes erupt", topK = 10 }, RagRole.Reader, HttpStatusCode.OK),
        new("search bm25", HttpMethod.Post, "v1/collections/shared/search", new { query = "eruptions lava", mode = "bm25", topK = 10 }, RagRole.Reader, HttpStatusCode.OK),
        new("ask", HttpMethod.Post, "v1/collections/shared/ask", new { question = $"Why do volcanoes erupt? {run}" }, RagRole.Reader, HttpStatusCode.OK),
        new("embeddings", HttpMethod.Post, "v1/embeddings", new { input = "volcano" }, RagRole.Reader, HttpStatusCode.OK),
        new("create conversation", HttpMethod.Post, "v1/collections/shared/conversations", null, RagRole.Reader, HttpStatusCode.Created),
        new("list conversations", HttpMethod.Get, "v1/collections/shared/conversations", null, RagRole.Reader, HttpStatusCode.OK),
        new("list models", HttpMethod.Get, "v1/models", null, RagRole.Reader, HttpStatusCode.OK),
        new("chat completion", HttpMethod.Post, "v1/chat/completions",
            new { model = "shared", messages = new[] { new { role = "user", content = $"Why do volcanoes erupt? {run}" } } }, RagRole.Reader, HttpStatusCode.OK),
        new("put document", HttpMethod.Put, $"v1/collections/shared/documents/scratch-{run}", new { text = "Scratch text about basalt." }, RagRole.Writer, HttpStatusCode.Created),
        new("delete document", HttpMethod.Delete, $"v1/collections/shared/documents/scratch-{run}", null, RagRole.Writer, HttpStatusCode.NoContent),
        new("create collection", HttpMethod.Put, $"v1/collections/made-{run}", new { shardCount = 2 }, RagRole.Admin, HttpStatusCode.Created),
        new("list alert rules", HttpMethod.Get, "v1/alert-rules", null, RagRole.Admin, HttpStatusCode.OK),
        new("create alert rule", HttpMethod.Put, $"v1/alert-rules/rule-{run}", new { metric = "cpu_percent", window = "5m", comparator = ">", threshold = 90 }, RagRole.Admin, HttpStatusCode.Created),
        new("active alerts", HttpMethod.Get, "v1/alerts", null, RagRole.Admin, HttpStatusCode.OK),
        new("add silence", HttpMethod.Post, "v1/silences", new { matchers = new { alertname = $"rule-{run}" }, duration = "1h" }, RagRole.Admin, HttpStatusCode.Created),
        new("metrics summary", HttpMethod.Get, "v1/metrics/summary", null, RagRole.Admin, HttpStatusCode.OK),
        new("query log", HttpMethod.Get, "v1/collections/shared/query-log", null, RagRole.Admin, HttpStatusCode.OK),
    ];

    [Fact]
    public async Task Every_endpoint_gives_each_role_of_each_tenant_its_status_and_never_the_other_tenants_data()
    {
        var checkedCalls = 0;
        foreach (var tenant in SecuredHostFixture.Tenants)
        {
            var other = SecuredHostFixture.Tenants.Single(t => t != tenant);
            foreach (var role in Enum.GetValues<RagRole>())
            {
                using var client = host.ClientFor(tenant, role);
                var run = $"{tenant}-{role}".ToLowerInvariant();
                foreach (var call in Calls(tenant, run))
                {
                    var expected = role >= call.Needs ? call.Ok : HttpStatusCode.Forbidden;
                    var (status, body) = await SendAsync(client, call.Method, call.Path, call.Body);
                    Assert.True(expected == status, $"{tenant}/{role} {call.Name}: expected {(int)expected}, got {(int)status}: {body}");
                    AssertNothingOf(other, body, $"{tenant}/{role} {call.Name}");
                    checkedCalls++;
                }

                // The shared collection name holds only the caller's own documents.
                var (_, list) = await SendAsync(client, HttpMethod.Get, "v1/collections/shared/documents", null);
                Assert.Contains($"{tenant}-doc-1", list, StringComparison.Ordinal);
            }
        }

        Assert.Equal(2 * Enum.GetValues<RagRole>().Length * Calls("x", "y").Count(), checkedCalls);
    }

    [Fact]
    public async Task Naming_the_other_tenants_collection_or_document_gives_404_for_every_role()
    {
        foreach (var tenant in SecuredHostFixture.Tenants)
        {
            var other = SecuredHostFixture.Tenants.Single(t => t != tenant);
            foreach (var role in Enum.GetValues<RagRole>())
            {
                using var client = host.ClientFor(tenant, role);
                var attempts = new (HttpMethod Method, string Path, object? Body)[]
                {
                    (HttpMethod.Get, $"v1/collections/{other}-only", null),
                    (HttpMethod.Get, $"v1/collections/{other}-only/documents", null),
                    (HttpMethod.Get, $"v1/collections/{other}-only/documents/{other}-doc-1", null),
                    (HttpMethod.Get, $"v1/collections/shared/documents/{other}-doc-1", null),
                    (HttpMethod.Post, $"v1/collections/{other}-only/search", new { query = "volcano", tenant = other }),
                    (HttpMethod.Post, $"v1/collections/{other}-only/ask", new { question = "Why do volcanoes erupt?", tenant = other }),
                    (HttpMethod.Post, $"v1/collections/{other}-only/ask", new { question = "Why do volcanoes erupt?", stream = true }),
                };
                foreach (var (method, path, body) in attempts)
                {
                    var (status, text) = await SendAsync(client, method, path, body);
                    Assert.True(status == HttpStatusCode.NotFound, $"{tenant}/{role} {method} {path}: expected 404, got {(int)status}: {text}");
                    AssertNothingOf(other, text, $"{tenant}/{role} {method} {path}", echoed: path); // the 404 may repeat what was asked
                }

                // Writers and admins cannot delete the other tenant's document either: it is not there for them.
                if (role >= RagRole.Writer)
                {
                    var (status, _) = await SendAsync(client, HttpMethod.Delete, $"v1/collections/{other}-only/documents/{other}-doc-1", null);
                    Assert.Equal(HttpStatusCode.NotFound, status);
                }
            }
        }

        // And the documents are all still there for their owners.
        foreach (var tenant in SecuredHostFixture.Tenants)
        {
            using var reader = host.ClientFor(tenant, RagRole.Reader);
            var (status, _) = await SendAsync(reader, HttpMethod.Get, $"v1/collections/{tenant}-only/documents/{tenant}-doc-1", null);
            Assert.Equal(HttpStatusCode.OK, status);
        }
    }

    [Fact]
    public async Task Whoami_names_the_keys_tenant_and_role()
    {
        foreach (var tenant in SecuredHostFixture.Tenants)
        {
            foreach (var role in Enum.GetValues<RagRole>())
            {
                using var client = host.ClientFor(tenant, role);
                var me = await client.GetFromJsonAsync<Dictionary<string, string>>("v1/me");
                Assert.Equal(tenant, me!["tenant"]);
                Assert.Equal(role.ToString(), me["role"], ignoreCase: true);
                Assert.Equal(host.Keys[tenant][role].Id, me["keyId"]);
            }
        }
    }

    private static void AssertNothingOf(string tenant, string body, string what, string echoed = "")
    {
        foreach (var trace in SecuredHostFixture.Traces(tenant).Where(t => !echoed.Contains(t, StringComparison.Ordinal)))
        {
            Assert.False(body.Contains(trace, StringComparison.Ordinal), $"{what}: the response carries {trace} of tenant {tenant}: {body}");
        }
    }

    internal static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
