namespace OrleansRag;

/// <summary>
/// A document's original cannot be read as asked (HTTP 409): the document was replaced or deleted while it was being
/// read, or its kept file is missing from the blob store.
/// </summary>
[GenerateSerializer, Alias("OrleansRag.DocumentChangedException")]
public sealed class DocumentChangedException : Exception
{
    public DocumentChangedException()
    {
    }

    public DocumentChangedException(string message)
        : base(message)
    {
    }

    public DocumentChangedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
