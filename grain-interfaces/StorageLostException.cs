namespace OrleansRag;

/// <summary>
/// Storage no longer holds what this silo wrote: its generation marker vanished or changed (a Redis restarted
/// without its data, or replaced). Writes are refused (HTTP 503) instead of building on state that is gone, and
/// "unchanged" is never answered for content storage may not have; restore Redis's data or restart the silos.
/// </summary>
[GenerateSerializer, Alias("OrleansRag.StorageLostException")]
public sealed class StorageLostException : Exception
{
    public StorageLostException()
    {
    }

    public StorageLostException(string message)
        : base(message)
    {
    }

    public StorageLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
