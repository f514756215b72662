namespace OrleansRag;

/// <summary>
/// Storage (Redis) did not answer or refused the write, so the change was not saved (HTTP 503 with Retry-After): retry
/// later. Storage errors of the client libraries cannot cross a grain call (Orleans has no codec for them), so every
/// silo turns them into this one at the grain boundary; the SDK sees it as it is.
/// </summary>
[GenerateSerializer, Alias("OrleansRag.StorageUnavailableException")]
public sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException()
    {
    }

    public StorageUnavailableException(string message)
        : base(message)
    {
    }

    public StorageUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
