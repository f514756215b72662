namespace OrleansRag;

/// <summary>
/// An import into a collection that holds documents, without asking to replace them (HTTP 409).
/// </summary>
[GenerateSerializer, Alias("OrleansRag.CollectionNotEmptyException")]
public sealed class CollectionNotEmptyException : Exception
{
    public CollectionNotEmptyException()
    {
    }

    public CollectionNotEmptyException(string message)
        : base(message)
    {
    }

    public CollectionNotEmptyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
