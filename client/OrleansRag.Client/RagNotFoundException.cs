namespace OrleansRag.Client;

/// <summary>A collection, document or conversation that does not exist (HTTP 404).</summary>
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

    public static RagNotFoundException Document(string collection, string documentId) => new($"Document '{documentId}' does not exist in collection '{collection}'.");

    public static RagNotFoundException Conversation(string collection, string conversationId) =>
        new($"Conversation '{conversationId}' does not exist in collection '{collection}' (or has expired).");
}
