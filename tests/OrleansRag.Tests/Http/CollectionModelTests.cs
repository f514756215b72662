using System.Net;
using System.Net.Http.Json;
using System.Numerics.Tensors;
using System.Text.Json;
using OrleansRag.Embedding;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Http;

/// <summary>
/// A collection records the embedding model it was created with (the int8 default unless it names another), shows it,
/// and embeds its questions with it; several models serve side by side in one silo.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class CollectionModelTests(RagHostFixture host)
{
    private static readonly Lazy<OnnxEmbedder> Int8 = new(() => OnnxEmbedder.Create(new EmbeddingOptions { Quantized = true }));

    private const string Title = "Ferries";
    private const string Text = "The night ferry to Tallinn leaves from the west harbour at eleven.";
    private const string Question = "When does the night ferry to Tallinn leave?";

    [Fact]
    public async Task Each_collection_embeds_with_its_own_recorded_model_and_shows_it()
    {
        using (var created = await host.Http.PutAsJsonAsync("v1/collections/model-default", new { }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var created = await host.Http.PutAsJsonAsync("v1/collections/model-fp32", new { embeddingModel = "all-MiniLM-L6-v2" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var recorded = (await host.Http.GetFromJsonAsync<JsonElement>("v1/collections/model-default")).GetProperty("embeddingModel");
        Assert.Equal("all-MiniLM-L6-v2-int8", recorded.GetProperty("name").GetString());
        Assert.Equal(384, recorded.GetProperty("dimensions").GetInt32());
        Assert.Equal("mean", recorded.GetProperty("pooling").GetString());
        Assert.True(recorded.GetProperty("quantized").GetBoolean());
        var fp32 = (await host.Http.GetFromJsonAsync<JsonElement>("v1/collections/model-fp32")).GetProperty("embeddingModel");
        Assert.Equal("all-MiniLM-L6-v2", fp32.GetProperty("name").GetString());
        Assert.False(fp32.GetProperty("quantized").GetBoolean());

        var listed = (await host.Http.GetFromJsonAsync<JsonElement>("v1/collections")).GetProperty("collections").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("embeddingModel").GetString());
        Assert.Equal("all-MiniLM-L6-v2-int8", listed["model-default"]);
        Assert.Equal("all-MiniLM-L6-v2", listed["model-fp32"]);

        // The same document and question in both: each dense score is the cosine of its own model's vectors.
        await host.PutAsync("model-default", "ferry", Text, Title);
        await host.PutAsync("model-fp32", "ferry", Text, Title);
        var expectedFp32 = Cosine(TestModel.Embedder, Question, $"{Title} {Text}");
        var expectedInt8 = Cosine(Int8.Value, Question, $"{Title} {Text}");
        Assert.NotEqual(expectedFp32, expectedInt8, 4);
        Assert.Equal(expectedFp32, await DenseScoreAsync("model-fp32"), 4);
        Assert.Equal(expectedInt8, await DenseScoreAsync("model-default"), 4);

        // Asking a collection of the non-default model answers from it.
        using var asked = await host.Http.PostAsJsonAsync("v1/collections/model-fp32/ask", new { question = Question });
        Assert.Contains("eleven", (await asked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("answer").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_model_is_refused_naming_the_served_ones_and_a_collection_keeps_its_model()
    {
        using var unknown = await host.Http.PutAsJsonAsync("v1/collections/model-unknown", new { embeddingModel = "text-embedding-3-large" });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        var problem = await unknown.Content.ReadAsStringAsync();
        Assert.Contains("text-embedding-3-large", problem, StringComparison.Ordinal);
        Assert.Contains("all-MiniLM-L6-v2-int8", problem, StringComparison.Ordinal);
        using var missing = await host.Http.GetAsync("v1/collections/model-unknown");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode); // nothing half-made

        using (var created = await host.Http.PutAsJsonAsync("v1/collections/model-kept", new { embeddingModel = "snowflake-arctic-embed-xs" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var again = await host.Http.PutAsJsonAsync("v1/collections/model-kept", new { embeddingModel = "snowflake-arctic-embed-xs" });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        using var other = await host.Http.PutAsJsonAsync("v1/collections/model-kept", new { embeddingModel = "all-MiniLM-L6-v2" });
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Contains("snowflake-arctic-embed-xs", await other.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Arctic (CLS pooling, a query prefix) serves its collection beside the MiniLM ones.
        await host.PutAsync("model-kept", "paris", "Paris is the capital and most populous city of France.", "Paris");
        await host.PutAsync("model-kept", "atp", "The mitochondria is the powerhouse of the cell and produces ATP.", "Cells");
        using var search = await host.Http.PostAsJsonAsync("v1/collections/model-kept/search", new { query = "What is the capital of France?", topK = 1, mode = "dense" });
        Assert.Equal("paris", (await search.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("hits")[0].GetProperty("documentId").GetString());
        var kept = (await host.Http.GetFromJsonAsync<JsonElement>("v1/collections/model-kept")).GetProperty("embeddingModel");
        Assert.Equal("cls", kept.GetProperty("pooling").GetString());
    }

    private async Task<double> DenseScoreAsync(string collection)
    {
        using var response = await host.Http.PostAsJsonAsync($"v1/collections/{collection}/search", new { query = Question, topK = 1, mode = "dense" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var hit = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("hits")[0];
        Assert.Equal("ferry", hit.GetProperty("documentId").GetString());
        return hit.GetProperty("score").GetDouble();
    }

    /// <summary>Each text embedded alone, as the silo does here: int8 activations are quantised per batch, so a batch's other texts would move them.</summary>
    private static double Cosine(OnnxEmbedder model, string query, string passage) =>
        TensorPrimitives.Dot(model.EmbedBatch([model.Tokenize(query, EmbeddingKind.Query)])[0], model.EmbedBatch([model.Tokenize(passage, EmbeddingKind.Document)])[0]);
}
