namespace OrleansRag.Client;

/// <summary>A collection or document that does not exist (HTTP 404).</summary>
public sealed class RagNotFoundException : Exception
{
    public RagNotFoundException()
    {
    }

    public RagNotFoundException(string message)
        : base(message)
    {
    }

    public RagNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public static RagNotFoundException Collection(string collection) => new($"Collection '{collection}' does not exist.");
}
