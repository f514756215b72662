using System.Net.Http.Json;
using System.Text.Json;
using OrleansRag.Tests.Http;

namespace OrleansRag.Tests.Generation;

/// <summary>Generation:Provider=AzureOpenAI goes through Azure.AI.OpenAI: deployment URL shape and api-key header.</summary>
public sealed class AzureOpenAiTests
{
    private sealed class AzureHost(Uri endpoint) : RagHostFixture
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [
            new("Generation:Provider", "AzureOpenAI"),
            new("Generation:Endpoint", endpoint.ToString()),
            new("Generation:Model", "rag-deployment"),
            new("Generation:ApiKey", "azure-key-123"),
        ];
    }

    [Fact]
    public async Task Azure_provider_calls_the_deployment_url_with_the_api_key_header()
    {
        await using var model = await FakeOpenAiServer.StartAsync();
        model.Default = FakeOpenAiServer.Answer("Lake Baikal is the deepest lake [1].");
        var host = new AzureHost(new Uri(model.BaseAddress.GetLeftPart(UriPartial.Authority) + "/"));
        await host.InitializeAsync();
        try
        {
            await host.PutAsync("azure", "baikal", "Lake Baikal in Siberia is the deepest lake in the world, at about 1,642 metres.", "Baikal");
            using var response = await host.Http.PostAsJsonAsync("v1/collections/azure/ask", new { question = "Which lake is the deepest?" });
            var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.False(answer.GetProperty("degraded").GetBoolean(), answer.ToString());
            Assert.Equal("Lake Baikal is the deepest lake [1].", answer.GetProperty("answer").GetString());

            var request = Assert.Single(model.Requests);
            Assert.StartsWith("/openai/deployments/rag-deployment/chat/completions?api-version=", request.Path, StringComparison.Ordinal);
            Assert.Equal("azure-key-123", request.ApiKeyHeader);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }
}
