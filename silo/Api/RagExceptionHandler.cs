using Microsoft.AspNetCore.Diagnostics;
using OrleansRag.Client;

namespace OrleansRag.Silo.Api;

/// <summary>
/// Maps exceptions that escape an endpoint to problem details: invalid arguments (also when thrown inside a
/// grain) are 400, unknown things 404, timeouts 504; anything else is a 500 without internals.
/// </summary>
public sealed partial class RagExceptionHandler(IProblemDetailsService problems, ILogger<RagExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var (status, title, detail) = exception switch
        {
            ArgumentException e => (StatusCodes.Status400BadRequest, "Invalid request", e.Message.Split(" (Parameter", 2)[0]),
            RagNotFoundException e => (StatusCodes.Status404NotFound, "Not found", e.Message),
            TimeoutException => (StatusCodes.Status504GatewayTimeout, "Timed out", "The cluster did not answer in time; try again."),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => (499, "Client closed request", "The request was cancelled."),
            _ => (StatusCodes.Status500InternalServerError, "Internal error", "The request failed inside the cluster; see the silo log for details."),
        };

        if (status >= 500)
        {
            LogFailed(exception, httpContext.Request.Method, httpContext.Request.Path);
        }

        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private partial void LogFailed(Exception exception, string method, string path);
}
