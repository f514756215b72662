using OrleansRag.Embedding;

namespace OrleansRag.Tests.Infrastructure;

/// <summary>The real default model, loaded once per test process for engine-level tests.</summary>
public static class TestModel
{
    private static readonly Lazy<OnnxEmbedder> Lazy = new(() => OnnxEmbedder.Create(new EmbeddingOptions()));

    public static OnnxEmbedder Embedder => Lazy.Value;

    public static BertTokenizer Tokenizer => Embedder.Tokenizer;

    public static float[][] Embed(params string[] texts) =>
        Embedder.EmbedBatch(texts.Select(t => Embedder.Tokenize(t, EmbeddingKind.Document)).ToArray());
}
