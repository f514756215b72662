using System.Net.Http.Json;
using System.Numerics.Tensors;
using System.Text.Json;
using OrleansRag.Embedding;
using OrleansRag.Tests.Http;

namespace OrleansRag.Tests.Engines;

/// <summary>snowflake-arctic-embed-xs as the second model: CLS pooling and a query prefix.</summary>
public sealed class ArcticModelTests
{
    private static readonly Lazy<OnnxEmbedder> Arctic = new(() => OnnxEmbedder.Create(new EmbeddingOptions { Model = BundledModels.ArcticXs }));

    [Fact]
    public void Arctic_uses_cls_pooling_and_prefixes_queries()
    {
        var model = Arctic.Value;
        Assert.Equal(PoolingMode.Cls, model.Pooling);
        Assert.Equal(384, model.Dimensions);
        var asQuery = model.Tokenize("grain placement", EmbeddingKind.Query);
        var asDocument = model.Tokenize("grain placement", EmbeddingKind.Document);
        Assert.True(asQuery.Length > asDocument.Length + 5);
    }

    [Fact]
    public void Arctic_ranks_the_relevant_passage_first()
    {
        var model = Arctic.Value;
        string[] passages =
        [
            "The mitochondria is the powerhouse of the cell and produces ATP.",
            "Paris is the capital and most populous city of France.",
            "A binary search halves the search interval at every step.",
        ];
        var vectors = model.EmbedBatch(passages.Select(p => model.Tokenize(p, EmbeddingKind.Document)).ToArray());
        var query = model.EmbedBatch([model.Tokenize("What is the capital of France?", EmbeddingKind.Query)])[0];
        var scores = vectors.Select(v => TensorPrimitives.Dot(v, query)).ToArray();
        Assert.Equal(1, Array.IndexOf(scores, scores.Max()));
        Assert.All(vectors, v => Assert.Equal(1f, TensorPrimitives.Norm(v), 4));
    }

    private sealed class ArcticHost : RagHostFixture
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
            [new("Embedding:Model", BundledModels.ArcticXs)];
    }

    [Fact]
    public async Task A_silo_configured_with_arctic_serves_it_end_to_end()
    {
        var host = new ArcticHost();
        await host.InitializeAsync();
        try
        {
            await host.PutAsync("arctic", "paris", "Paris is the capital and most populous city of France.", "Paris");
            await host.PutAsync("arctic", "atp", "The mitochondria is the powerhouse of the cell and produces ATP.", "Cells");
            using var response = await host.Http.PostAsJsonAsync("v1/collections/arctic/search", new { query = "What is the capital of France?", topK = 1 });
            var hits = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("hits");
            Assert.Equal("paris", hits[0].GetProperty("documentId").GetString());

            // New collections get the configured model's int8 form (Embedding:Quantized unset), recorded on the collection.
            var model = (await host.Http.GetFromJsonAsync<JsonElement>("v1/collections/arctic")).GetProperty("embeddingModel");
            Assert.Equal(BundledModels.ArcticXs + OnnxEmbedder.QuantizedSuffix, model.GetProperty("name").GetString());
            Assert.Equal("cls", model.GetProperty("pooling").GetString());
            using var embeddings = await host.Http.PostAsJsonAsync("v1/embeddings", new { input = "x" });
            Assert.Equal(BundledModels.ArcticXs + OnnxEmbedder.QuantizedSuffix, (await embeddings.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("model").GetString());
        }
        finally
        {
            await host.DisposeAsync();
        }
    }
}
