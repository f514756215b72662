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
