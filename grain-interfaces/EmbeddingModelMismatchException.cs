namespace OrleansRag;

/// <summary>
/// A write or a query would mix vectors of two embedding models in one collection (HTTP 409): a collection keeps the
/// model it was created with, and its vectors are only comparable with that model's.
/// </summary>
[GenerateSerializer, Alias("OrleansRag.EmbeddingModelMismatchException")]
public sealed class EmbeddingModelMismatchException : Exception
{
    public EmbeddingModelMismatchException()
    {
    }

    public EmbeddingModelMismatchException(string message)
        : base(message)
    {
    }

    public EmbeddingModelMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
