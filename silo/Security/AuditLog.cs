using OrleansRag.Security;

namespace OrleansRag.Silo.Security;

/// <summary>
/// The audit trail: who (key id, tenant) did what (ingest, delete, collection and rule changes) to which target,
/// and the outcome, as structured log events of the category "OrleansRag.Audit" (route them to your log store).
/// </summary>
public sealed partial class AuditLog(ILoggerFactory loggers)
{
    public const string Category = "OrleansRag.Audit";
    private readonly ILogger _logger = loggers.CreateLogger(Category);

    public void Record(HttpContext context, string action, string target, int status)
    {
        ArgumentNullException.ThrowIfNull(context);
        var principal = ApiKeyAuthenticationHandler.PrincipalOf(context.User) ?? RagPrincipal.LocalAdmin;
        LogAudit(action, target, status, principal.KeyId, principal.Tenant, principal.Role);
    }

    [LoggerMessage(EventId = 9000, Level = LogLevel.Information,
        Message = "audit {Action} {Target} -> {Status} by key {KeyId} (tenant {Tenant}, {Role})")]
    private partial void LogAudit(string action, string target, int status, string keyId, string tenant, RagRole role);
}

public static class AuditEndpointExtensions
{
    /// <summary>
    /// Records every call of the endpoint in the audit log with its outcome: the result's status, or for an exception
    /// the status <see cref="Api.RagExceptionHandler"/> answers it with (a refused document is a 400 or 413, not a 500).
    /// </summary>
    public static TBuilder Audited<TBuilder>(this TBuilder builder, string action)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(async (context, next) =>
        {
            var status = StatusCodes.Status500InternalServerError;
            try
            {
                var result = await next(context);
                status = (result as IStatusCodeHttpResult)?.StatusCode ?? StatusCodes.Status200OK;
                return result;
            }
            catch (Exception exception)
            {
                status = Api.RagExceptionHandler.Describe(context.HttpContext, exception).Status;
                throw;
            }
            finally
            {
                var http = context.HttpContext;
                http.RequestServices.GetRequiredService<AuditLog>().Record(http, action, http.Request.Path, status);
            }
        });
        return builder;
    }
}
