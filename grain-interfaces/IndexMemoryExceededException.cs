namespace OrleansRag;

/// <summary>
/// The silo holding the document's shard has no room for it within <c>Retrieval:MemoryBudgetMiB</c>: the write is
/// refused (HTTP 507; nothing is stored) instead of letting the silo run out of memory. Deletes always pass.
/// </summary>
[GenerateSerializer, Alias("OrleansRag.IndexMemoryExceededException")]
public sealed class IndexMemoryExceededException : Exception
{
    public IndexMemoryExceededException()
    {
    }

    public IndexMemoryExceededException(string message)
        : base(message)
    {
    }

    public IndexMemoryExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
