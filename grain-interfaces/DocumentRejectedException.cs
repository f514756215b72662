namespace OrleansRag;

/// <summary>Why a document was refused.</summary>
public enum RejectionReason
{
    /// <summary>The bytes are not what their content type says, or they hold nothing to index.</summary>
    Unreadable,

    /// <summary>Larger than <c>Ingestion:MaxDocumentBytes</c>, or it would expand beyond its limit.</summary>
    TooLarge,
}

/// <summary>
/// A document that can never be ingested as sent (binary sent as text, a corrupt or encrypted PDF, a zip bomb):
/// HTTP 400/413 when found while the request waits, a <c>failed</c> status when found in the background. Never
/// retried. The message names the problem for the person who sent the file.
/// </summary>
[GenerateSerializer, Alias("OrleansRag.DocumentRejectedException")]
public sealed class DocumentRejectedException : Exception
{
    public DocumentRejectedException()
    {
    }

    public DocumentRejectedException(string message)
        : base(message)
    {
    }

    public DocumentRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DocumentRejectedException(string message, RejectionReason reason)
        : base(message) => Reason = reason;

    [Id(0)]
    public RejectionReason Reason { get; init; }
}
