namespace OrleansRag;

/// <summary>
/// The silo's embedding queue for documents is full (<c>Embedding:MaxQueuedTexts</c>): the write is refused for
/// now (HTTP 503 with Retry-After; a background job retries later) rather than queued without bound.
/// </summary>
[GenerateSerializer, Alias("OrleansRag.EmbeddingQueueFullException")]
public sealed class EmbeddingQueueFullException : Exception
{
    public EmbeddingQueueFullException()
    {
    }

    public EmbeddingQueueFullException(string message)
        : base(message)
    {
    }

    public EmbeddingQueueFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
