namespace OrleansRag;

/// <summary>Whether a text is a search query or a passage; models such as arctic-embed prefix them differently.</summary>
public enum EmbeddingKind
{
    Document,
    Query,
}

/// <summary>Unit-length embeddings, one per input text, and the word pieces each used.</summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.EmbeddingBatch")]
public sealed record class EmbeddingBatch(string Model, float[][] Vectors, int[] TokenCounts);

/// <summary>
/// The embedding model a collection's vectors come from, recorded when the collection is created and never changed:
/// its name (a bundled model's, or the configured one's; "-int8" for its int8 form), vector dimensions, pooling
/// ("mean" or "cls") and whether its weights are int8.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.EmbeddingModelInfo")]
public sealed record class EmbeddingModelInfo(string Name, int Dimensions, string Pooling, bool Quantized);
