using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using OrleansRag.Security;

namespace OrleansRag.Tests.Security;

/// <summary>Conversations, the OpenAI-compatible models and the MCP tools across tenants and keys.</summary>
public sealed partial class TenantIsolationTests
{
    [Fact]
    public async Task A_conversation_is_its_keys_and_its_tenant_admins_and_not_found_for_everyone_else()
    {
        foreach (var tenant in SecuredHostFixture.Tenants)
        {
            var other = SecuredHostFixture.Tenants.Single(t => t != tenant);
            using var owner = host.ClientFor(tenant, RagRole.Reader);
            using var created = await owner.PostAsync("v1/collections/shared/conversations", null);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            var path = $"v1/collections/shared/conversations/{id}";
            var (status, turn) = await SendAsync(owner, HttpMethod.Post, $"{path}/messages", new { question = "Why do volcanoes erupt?" });
            Assert.True(status == HttpStatusCode.OK, turn);
            Assert.Contains(SecuredHostFixture.Marker(tenant), turn, StringComparison.Ordinal);
            AssertNothingOf(other, turn, $"{tenant} turn");
            (status, turn) = await SendAsync(owner, HttpMethod.Post, $"{path}/messages", new { question = "And what do they pour out?" });
            Assert.True(status == HttpStatusCode.OK, turn);
            AssertNothingOf(other, turn, $"{tenant} follow-up");

            // Every key of the other tenant, and the same tenant's writer (not the owner, not an admin): not found.
            foreach (var (who, client) in Enum.GetValues<RagRole>().Select(r => ($"{other}/{r}", host.ClientFor(other, r)))
                .Append(($"{tenant}/writer", host.ClientFor(tenant, RagRole.Writer))))
            {
                using (client)
                {
                    foreach (var (method, target, body) in new (HttpMethod, string, object?)[]
                    {
                        (HttpMethod.Get, path, null),
                        (HttpMethod.Post, $"{path}/messages", new { question = "Why?" }),
                        (HttpMethod.Post, $"{path}/messages?stream=true", new { question = "Why?" }),
                        (HttpMethod.Delete, path, null),
                    })
                    {
                        var (code, text) = await SendAsync(client, method, target, body);
                        Assert.True(code == HttpStatusCode.NotFound, $"{who} {method} {target}: expected 404, got {(int)code}: {text}");
                        AssertNothingOf(tenant, text, $"{who} {method} {target}", echoed: target);
                    }

                    var (_, list) = await SendAsync(client, HttpMethod.Get, "v1/collections/shared/conversations", null);
                    Assert.DoesNotContain(id, list, StringComparison.Ordinal);
                }
            }

            // The tenant's admin may read it; the owner still has both turns, and lists it.
            using var admin = host.ClientFor(tenant, RagRole.Admin);
            var (adminStatus, history) = await SendAsync(admin, HttpMethod.Get, path, null);
            Assert.True(adminStatus == HttpStatusCode.OK, history);
            Assert.Equal(2, JsonDocument.Parse(history).RootElement.GetProperty("turns").GetArrayLength());
            var (_, mine) = await SendAsync(owner, HttpMethod.Get, "v1/collections/shared/conversations", null);
            Assert.Contains(id, mine, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Models_and_chat_completions_see_only_the_keys_tenant_and_errors_keep_openais_shape()
    {
        foreach (var tenant in SecuredHostFixture.Tenants)
        {
            var other = SecuredHostFixture.Tenants.Single(t => t != tenant);
            using var reader = host.ClientFor(tenant, RagRole.Reader);
            var models = await reader.GetFromJsonAsync<JsonElement>("v1/models");
            var ids = models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
            Assert.Contains("shared", ids);
            Assert.Contains($"{tenant}-only", ids);
            Assert.DoesNotContain($"{other}-only", ids);

            var (status, text) = await SendAsync(reader, HttpMethod.Post, "v1/chat/completions",
                new { model = $"{other}-only", messages = new[] { new { role = "user", content = "Why do volcanoes erupt?" } } });
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Equal("model_not_found", JsonDocument.Parse(text).RootElement.GetProperty("error").GetProperty("code").GetString());

            (status, text) = await SendAsync(reader, HttpMethod.Post, "v1/chat/completions",
                new { model = "shared", stream = true, messages = new[] { new { role = "user", content = "Why do volcanoes erupt? (stream)" } } });
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains(SecuredHostFixture.Marker(tenant), text, StringComparison.Ordinal);
            Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);
            AssertNothingOf(other, text, $"{tenant} streamed completion");
        }

        foreach (var key in new[] { null, "orag_aaaaaaaaaaaa_wrongwrongwrongwrongwrongwrongwrongwrongwro" })
        {
            using var stranger = host.ClientWith(key);
            foreach (var (method, path) in new[] { (HttpMethod.Get, "v1/models"), (HttpMethod.Post, "v1/chat/completions") })
            {
                var (status, text) = await SendAsync(stranger, method, path, new { model = "shared", messages = new[] { new { role = "user", content = "hi" } } });
                Assert.Equal(HttpStatusCode.Unauthorized, status);
                var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
                Assert.Equal("authentication_error", error.GetProperty("type").GetString());
                Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
            }
        }
    }

    [Fact]
    public async Task Mcp_tools_run_as_the_key_with_bearer_or_x_api_key_and_refuse_no_key()
    {
        foreach (var tenant in SecuredHostFixture.Tenants)
        {
            var other = SecuredHostFixture.Tenants.Single(t => t != tenant);
            var key = host.Keys[tenant][RagRole.Reader].Key;
            foreach (var header in new Dictionary<string, string>[] { new() { ["Authorization"] = $"Bearer {key}" }, new() { ["X-Api-Key"] = key } })
            {
                await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
                {
                    Endpoint = new Uri(host.BaseAddress, "mcp"),
                    TransportMode = HttpTransportMode.StreamableHttp,
                    AdditionalHeaders = header,
                }));
                var collections = Text(await client.CallToolAsync("list_collections"));
                Assert.Contains($"{tenant}-only", collections, StringComparison.Ordinal);
                AssertNothingOf(other, collections, $"{tenant} list_collections");

                var search = Text(await client.CallToolAsync("search", new Dictionary<string, object?> { ["collection"] = "shared", ["query"] = "volcano eruptions", ["topK"] = 10 }));
                Assert.Contains(SecuredHostFixture.Marker(tenant), search, StringComparison.Ordinal);
                AssertNothingOf(other, search, $"{tenant} search");

                foreach (var (tool, arguments) in new (string, Dictionary<string, object?>)[]
                {
                    ("search", new() { ["collection"] = $"{other}-only", ["query"] = "volcano" }),
                    ("ask", new() { ["collection"] = $"{other}-only", ["question"] = "Why do volcanoes erupt?" }),
                    ("get_document", new() { ["collection"] = "shared", ["id"] = $"{other}-doc-1" }),
                })
                {
                    var result = await client.CallToolAsync(tool, arguments);
                    Assert.True(result.IsError, $"{tenant} {tool} reached {other}: {Text(result)}");
                    AssertNothingOf(other, Text(result), $"{tenant} {tool}", echoed: string.Join(' ', arguments.Values));
                }
            }
        }

        var refused = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var anonymous = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
            {
                Endpoint = new Uri(host.BaseAddress, "mcp"),
                TransportMode = HttpTransportMode.StreamableHttp,
            }));
        });
        Assert.Contains("401", refused.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Alerting_metrics_and_embeddings_reach_their_grains_as_the_caller_not_as_the_silo()
    {
        using var admin = host.ClientFor("beta", RagRole.Admin);
        using var reader = host.ClientFor("alpha", RagRole.Reader);
        host.GrainCalls.Clear();
        foreach (var (client, path) in new[] { (admin, "v1/metrics/summary"), (admin, "v1/alert-rules"), (admin, "v1/alerts"), (admin, "v1/silences") })
        {
            using var response = await client.GetAsync(path);
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
        }

        using (var embedded = await reader.PostAsJsonAsync("v1/embeddings", new { input = "volcano" }))
        {
            Assert.True(embedded.IsSuccessStatusCode);
        }

        var calls = host.GrainCalls.ToList();
        foreach (var grain in new[] { "IMetricsGrain", "IAlertManagerGrain", "IEmbeddingGrain" })
        {
            var made = calls.Where(c => c.Interface == grain).ToList();
            Assert.NotEmpty(made);
            var expected = grain == "IEmbeddingGrain" ? host.Keys["alpha"][RagRole.Reader].Id : host.Keys["beta"][RagRole.Admin].Id;
            Assert.All(made, c => Assert.StartsWith($"{expected}|", c.Principal, StringComparison.Ordinal));
        }
    }

    private static string Text(CallToolResult result) => result.Content.OfType<TextContentBlock>().Single().Text;
}
