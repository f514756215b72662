using Microsoft.Extensions.Logging;

namespace OrleansRag.Ingestion;

/// <summary>What a document grain logs.</summary>
internal static partial class DocumentLog
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "Document {Document} ingested: {Chunks} chunks in {Parts} parts")]
    public static partial void Ingested(this ILogger logger, string document, int chunks, int parts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Document {Document} queued: {ContentType}, {Bytes} bytes")]
    public static partial void Queued(this ILogger logger, string document, string contentType, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Document {Document}: attempt {Attempt} failed")]
    public static partial void AttemptFailed(this ILogger logger, Exception exception, string document, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Document {Document} failed: {Error}")]
    public static partial void Failed(this ILogger logger, string document, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Clean-up for document {Document} failed; it is retried by the next write")]
    public static partial void CleanupFailed(this ILogger logger, Exception exception, string document);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Document {Document} deleted")]
    public static partial void Deleted(this ILogger logger, string document);
}
