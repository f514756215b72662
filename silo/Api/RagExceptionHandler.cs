using Microsoft.AspNetCore.Diagnostics;
using OrleansRag.Client;
using OrleansRag.Security;

namespace OrleansRag.Silo.Api;

/// <summary>
/// Maps exceptions that escape an endpoint to problem details: <see cref="RagValidationException"/> (also when
/// thrown inside a grain) is 400, unknown things 404, timeouts 504; anything else, an ArgumentException from deep
/// inside included, is a fault of the service: 500 with a trace id and no internal text.
/// </summary>
public sealed partial class RagExceptionHandler(IProblemDetailsService problems, ILogger<RagExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var (status, title, detail) = Describe(httpContext, exception);
        if (status >= 500)
        {
            LogFailed(exception, httpContext.Request.Method, httpContext.Request.Path);
        }

        httpContext.Response.StatusCode = status;
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "5";
        }

        if (OpenAiErrors.Applies(httpContext))
        {
            await OpenAiErrors.WriteAsync(httpContext, status, detail);
            return true;
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }

    /// <summary>
    /// The status, title and detail an exception that escaped an endpoint is answered with (the one mapping: the audit
    /// log records the same status).
    /// </summary>
    public static (int Status, string Title, string Detail) Describe(HttpContext httpContext, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        return Unavailable(exception) ?? exception switch
        {
            DocumentRejectedException { Reason: RejectionReason.TooLarge } e => (StatusCodes.Status413PayloadTooLarge, "Payload too large", e.Message),
            DocumentRejectedException e => (StatusCodes.Status400BadRequest, "Document rejected", e.Message),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => (StatusCodes.Status413PayloadTooLarge, "Payload too large",
                httpContext.Request.Path.Value?.EndsWith("/import", StringComparison.Ordinal) == true
                    ? "The archive is larger than Ingestion:MaxArchiveBytes."
                    : "The request body is larger than the limit derived from Ingestion:MaxDocumentBytes."),
            BadHttpRequestException e => (e.StatusCode, "Invalid request", e.Message),
            RagValidationException e => (StatusCodes.Status400BadRequest, "Invalid request", e.Message),
            IndexMemoryExceededException e => (StatusCodes.Status507InsufficientStorage, "Index memory full", e.Message),
            RagNotFoundException e => (StatusCodes.Status404NotFound, "Not found", e.Message),
            ConversationConflictException e => (StatusCodes.Status409Conflict, "Conflict", e.Message),
            EmbeddingModelMismatchException e => (StatusCodes.Status409Conflict, "Conflict", e.Message),
            DocumentChangedException e => (StatusCodes.Status409Conflict, "Conflict", e.Message),
            IOException { InnerException: DocumentChangedException e } => (StatusCodes.Status409Conflict, "Conflict", e.Message), // as a content stream reports it
            CollectionNotEmptyException e => (StatusCodes.Status409Conflict, "Conflict", e.Message),
            RagAccessDeniedException { Status: 401 } e => (StatusCodes.Status401Unauthorized, "Unauthorized", e.Message),
            RagAccessDeniedException { Status: 404 } => (StatusCodes.Status404NotFound, "Not found", "Not found."),
            RagAccessDeniedException e => (StatusCodes.Status403Forbidden, "Forbidden", e.Message),
            TimeoutException => (StatusCodes.Status504GatewayTimeout, "Timed out", "The cluster did not answer in time; try again."),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => (499, "Client closed request", "The request was cancelled."),
            _ => (StatusCodes.Status500InternalServerError, "Internal error", "The request failed inside the cluster; see the silo log for details."),
        };
    }

    /// <summary>Storage or a silo that is away for now: 503, the client should retry.</summary>
    private static (int, string, string)? Unavailable(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is StackExchange.Redis.RedisException or StackExchange.Redis.RedisTimeoutException or Orleans.Persistence.Redis.RedisStorageException)
            {
                return (StatusCodes.Status503ServiceUnavailable, "Storage unavailable",
                    "Storage (Redis) is unavailable, so the change was not saved. Reads keep working where they can; retry the write later.");
            }

            if (e is StorageUnavailableException unavailable)
            {
                return (StatusCodes.Status503ServiceUnavailable, "Storage unavailable", unavailable.Message);
            }

            if (OrleansRag.Hosting.StorageFailureFilter.Describe(e) is { } storage)
            {
                return (StatusCodes.Status503ServiceUnavailable, "Storage unavailable", storage); // failed at the edge, not in a grain
            }

            if (e is StorageLostException lost)
            {
                return (StatusCodes.Status503ServiceUnavailable, "Storage lost its data", lost.Message);
            }

            if (e is Orleans.Storage.InconsistentStateException)
            {
                // The stored record changed under the grain (a write whose answer was lost in a storage restart): Orleans
                // deactivates the grain, so a retry reads the stored record afresh.
                return (StatusCodes.Status503ServiceUnavailable, "Storage unavailable",
                    "Storage changed while the request was written (a storage restart?), so the change may not be saved; retry it.");
            }

            if (e is EmbeddingQueueFullException full)
            {
                return (StatusCodes.Status503ServiceUnavailable, "Busy", full.Message);
            }

            if (e is SiloUnavailableException or OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException)
            {
                return (StatusCodes.Status503ServiceUnavailable, "Cluster unavailable",
                    "A silo of the cluster is unavailable while the cluster reconfigures; retry shortly.");
            }
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private partial void LogFailed(Exception exception, string method, string path);
}
