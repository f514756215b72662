using System.ClientModel;
using System.Net.Http.Json;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text.Json;
using OpenAI;
using OpenAI.Embeddings;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Http;

/// <summary>POST /v1/embeddings is shaped like OpenAI's, so OpenAI's own .NET client works against it.</summary>
[Collection(HostCollection.Name)]
public sealed class EmbeddingsApiTests(RagHostFixture host)
{
    [Fact]
    public async Task String_and_array_inputs_return_openai_shaped_unit_vectors()
    {
        using var single = await host.Http.PostAsJsonAsync("v1/embeddings", new { input = "The weather is lovely today.", model = "all-MiniLM-L6-v2" });
        var one = await single.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("list", one.GetProperty("object").GetString());
        Assert.Equal("all-MiniLM-L6-v2", one.GetProperty("model").GetString());
        var data = one.GetProperty("data")[0];
        Assert.Equal("embedding", data.GetProperty("object").GetString());
        Assert.Equal(0, data.GetProperty("index").GetInt32());
        var vector = data.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal(384, vector.Length);
        Assert.Equal(1f, TensorPrimitives.Norm(vector), 4);
        Assert.Equal(8, one.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(8, one.GetProperty("usage").GetProperty("total_tokens").GetInt32());

        using var many = await host.Http.PostAsJsonAsync("v1/embeddings", new { input = new[] { "The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium." }, model = "all-MiniLM-L6-v2" });
        var three = (await many.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data").EnumerateArray()
            .Select(d => d.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        Assert.Equal(3, three.Length);
        Assert.Equal(0.6660, TensorPrimitives.Dot(three[0], three[1]), 3);
        Assert.Equal(vector, three[0]);
    }

    [Fact]
    public async Task Without_a_model_the_default_for_new_collections_embeds_and_another_served_model_can_be_named()
    {
        using var unnamed = await host.Http.PostAsJsonAsync("v1/embeddings", new { input = "The weather is lovely today." });
        var body = await unnamed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("all-MiniLM-L6-v2-int8", body.GetProperty("model").GetString());
        var int8 = body.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var fp32 = TestModel.Embed("The weather is lovely today.")[0];
        Assert.InRange(TensorPrimitives.CosineSimilarity(fp32, int8), 0.98f, 0.99999f); // close to the fp32 vector, not it

        using var arctic = await host.Http.PostAsJsonAsync("v1/embeddings", new { input = "x", model = "snowflake-arctic-embed-xs" });
        Assert.Equal("snowflake-arctic-embed-xs", (await arctic.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("model").GetString());

        using var unknown = await host.Http.PostAsJsonAsync("v1/embeddings", new { input = "x", model = "text-embedding-3-small" });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("all-MiniLM-L6-v2-int8", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Base64_encoding_carries_little_endian_floats()
    {
        using var response = await host.Http.PostAsJsonAsync("v1/embeddings", new { input = "hello world", encoding_format = "base64", model = "all-MiniLM-L6-v2" });
        var encoded = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data")[0].GetProperty("embedding").GetString()!;
        var floats = MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(encoded)).ToArray();
        var expected = TestModel.Embed("hello world")[0];
        Assert.True(TensorPrimitives.CosineSimilarity(expected, floats) > 0.9999f);
    }

    [Fact]
    public async Task Openai_dotnet_client_uses_the_cluster_as_an_embedding_service()
    {
        var client = new EmbeddingClient("all-MiniLM-L6-v2", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(host.BaseAddress, "v1") });
        var result = await client.GenerateEmbeddingsAsync(["Grains are virtual actors.", "Silos host grains."]);
        Assert.Equal(2, result.Value.Count);
        var first = result.Value[0].ToFloats().ToArray();
        Assert.Equal(384, first.Length);
        Assert.True(TensorPrimitives.CosineSimilarity(TestModel.Embed("Grains are virtual actors.")[0], first) > 0.9999f);
        Assert.Equal(1, result.Value[1].Index);
    }
}
