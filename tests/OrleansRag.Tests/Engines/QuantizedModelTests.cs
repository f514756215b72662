using System.Numerics.Tensors;
using OrleansRag.Embedding;
using OrleansRag.Embedding.Onnx;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Engines;

/// <summary>
/// The int8 model made in C# from the bundled one (Embedding:Quantized): it loads in ONNX Runtime, is smaller, and
/// embeds the golden texts close to the fp32 model; retrieval quality and speed are measured by the embedders bench.
/// </summary>
[Trait("Category", "Unit")]
public sealed class QuantizedModelTests
{
    [Fact]
    public void The_int8_model_embeds_like_the_fp32_one_and_is_smaller()
    {
        var folder = BundledModels.EnsureExtracted(BundledModels.MiniLm);
        var output = Path.Combine(Path.GetTempPath(), $"orleansrag-int8-{Guid.NewGuid():N}.onnx");
        try
        {
            var report = OnnxQuantizer.QuantizeDynamic(Path.Combine(folder, "model.onnx"), output);
            Assert.Equal(36, report.MatMuls); // 6 layers: Q, K, V, attention output, feed-forward up and down
            // The 21 MB of layer weights shrink to a quarter; the 47 MB word-embedding table stays fp32 (a lookup, not a MatMul).
            Assert.True(report.BytesAfter < report.BytesBefore * 0.7, $"{report.BytesAfter} of {report.BytesBefore} bytes");

            using var quantized = new OnnxEmbedder(folder, "int8", PoolingMode.Mean, "", "", 256, modelFile: output);
            string[] texts =
            [
                "Vitamin D deficiency is associated with an increased risk of respiratory infections.",
                "The committee approved the budget for the new library after a long debate.",
                "Kubernetes restarts a container whose liveness probe fails.",
                "0-dimensional biomaterials show inductive properties.",
            ];
            var ids = texts.Select(t => TestModel.Embedder.Tokenize(t, EmbeddingKind.Document)).ToArray();
            var reference = TestModel.Embedder.EmbedBatch(ids);
            var approximate = quantized.EmbedBatch(ids);
            for (var i = 0; i < texts.Length; i++)
            {
                var cosine = TensorPrimitives.CosineSimilarity(reference[i], approximate[i]);
                Assert.True(cosine >= 0.97, $"text {i}: cosine {cosine:F4}");
            }

            // The ranking survives: each text is still nearest to itself among the fp32 vectors.
            for (var i = 0; i < texts.Length; i++)
            {
                var best = Enumerable.Range(0, texts.Length).MaxBy(j => TensorPrimitives.Dot(approximate[i], reference[j]));
                Assert.Equal(i, best);
            }
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void Quantized_setting_loads_the_int8_model_under_its_own_name()
    {
        var cache = Path.Combine(Path.GetTempPath(), $"orleansrag-models-{Guid.NewGuid():N}");
        try
        {
            using var embedder = OnnxEmbedder.Create(new EmbeddingOptions { Quantized = true, CacheDirectory = cache });
            Assert.Equal(BundledModels.MiniLm + OnnxEmbedder.QuantizedSuffix, embedder.Name);
            Assert.True(File.Exists(Path.Combine(cache, BundledModels.MiniLm, "model.int8.onnx")));
            Assert.Equal(384, embedder.EmbedBatch([embedder.Tokenize("hello world", EmbeddingKind.Query)])[0].Length);
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task The_service_runs_int8_texts_alone_so_a_vector_never_depends_on_the_texts_beside_it()
    {
        using var service = new EmbeddingService(
            Microsoft.Extensions.Options.Options.Create(new EmbeddingOptions { Quantized = true }), Microsoft.Extensions.Logging.Abstractions.NullLogger<EmbeddingService>.Instance);
        await service.StartAsync(CancellationToken.None);
        const string Short = "Kubernetes restarts a container whose liveness probe fails.";
        var alone = (await service.EmbedAsync([Short], EmbeddingKind.Document)).Vectors[0];

        // In one call with texts of about its length (so length buckets would batch them with it, and one scale per batch
        // would move its activations), and concurrently.
        var crowd = Enumerable.Range(0, 12).Select(i => $"Note {i}: ZEBRA-{i * 7919} rivers, VOLCANO {i} and 100% old railway stations!").ToArray();
        var together = await service.EmbedAsync([.. crowd, Short], EmbeddingKind.Document);
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => service.EmbedAsync([Short, .. crowd], EmbeddingKind.Document)));
        Assert.Equal(alone, together.Vectors[^1]);
        Assert.All(concurrent, batch => Assert.Equal(alone, batch.Vectors[0]));
        Assert.Equal(BundledModels.MiniLm + OnnxEmbedder.QuantizedSuffix, together.Model);
    }
}
