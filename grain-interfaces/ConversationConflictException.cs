namespace OrleansRag;

/// <summary>
/// A conversation cannot take the request now (HTTP 409): the collection holds the most conversations it may
/// (<c>Conversations:MaxPerCollection</c>), or an earlier turn of this conversation is still being answered.
/// </summary>
[GenerateSerializer, Alias("OrleansRag.ConversationConflictException")]
public sealed class ConversationConflictException : Exception
{
    public ConversationConflictException()
    {
    }

    public ConversationConflictException(string message)
        : base(message)
    {
    }

    public ConversationConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
