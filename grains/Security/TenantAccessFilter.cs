using System.Collections.Concurrent;
using System.Reflection;

namespace OrleansRag.Security;

/// <summary>
/// Tenant isolation and roles inside the cluster, on every silo, for every grain call (not only at the HTTP edge).
/// With API keys configured:
/// <list type="bullet">
/// <item>a call that carries an API key in the request context is verified here; the key is replaced by its
/// principal, which flows with every further call of the request (so the secret travels one hop only);</item>
/// <item>a call from an external Orleans client must carry a key (a principal it sends itself is ignored);</item>
/// <item>a call with a principal must have the role its method needs, and may only reach grains of its own
/// tenant: a tenant-scoped grain of another tenant answers 404, exactly as one that does not exist.</item>
/// </list>
/// Calls from grains and from the silo's own services without a principal are internal (activation, restore).
/// Without keys (the embedded default) it does nothing.
/// </summary>
public sealed class TenantAccessFilter(ApiKeyVerifier keys) : IIncomingGrainCallFilter
{
    private static readonly ConcurrentDictionary<MethodInfo, RagRole> RequiredRoles = new();

    /// <summary>Grain interfaces whose string key starts with the tenant ("tenant/collection/...").</summary>
    private static readonly HashSet<Type> KeyedByTenant =
        [typeof(ICollectionGrain), typeof(IDocumentGrain), typeof(IQueryGrain), typeof(IRetrievalShardGrain)];

    public Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (keys.IsOpen)
        {
            return context.Invoke();
        }

        var principal = Authenticate(context);
        if (principal is not null)
        {
            Authorize(principal, context);
        }

        return context.Invoke();
    }

    private RagPrincipal? Authenticate(IIncomingGrainCallContext context)
    {
        if (RequestContext.Get(RagRequestContext.ApiKey) is string presented)
        {
            RequestContext.Remove(RagRequestContext.ApiKey);
            var verified = keys.Verify(presented)
                ?? throw new RagAccessDeniedException(401, "The API key is not valid.");
            RequestContext.Set(RagRequestContext.Principal, verified.ToContextValue());
            return verified;
        }

        if (IsExternalClient(context.SourceId) && IsOwnInterface(context.InterfaceMethod))
        {
            RequestContext.Remove(RagRequestContext.Principal);
            throw new RagAccessDeniedException(401, "An API key is required (RagClientOptions.ApiKey).");
        }

        return RagPrincipal.FromContextValue(RequestContext.Get(RagRequestContext.Principal));
    }

    private static void Authorize(RagPrincipal principal, IIncomingGrainCallContext context)
    {
        var method = context.InterfaceMethod;
        var required = RequiredRoles.GetOrAdd(method, m =>
            (m.GetCustomAttribute<RequiresRoleAttribute>() ?? m.DeclaringType?.GetCustomAttribute<RequiresRoleAttribute>())?.Role ?? RagRole.Reader);
        if (!principal.Has(required))
        {
            throw new RagAccessDeniedException(403, $"This needs the {required.ToString().ToLowerInvariant()} role; the key has {principal.Role.ToString().ToLowerInvariant()}.");
        }

        var tenant = TenantOf(context);
        if (tenant is not null && !string.Equals(tenant, principal.Tenant, StringComparison.Ordinal))
        {
            throw new RagAccessDeniedException(404, "Not found.");
        }
    }

    private static string? TenantOf(IIncomingGrainCallContext context)
    {
        var type = context.InterfaceMethod.DeclaringType;
        if (type == typeof(ITenantGrain))
        {
            return context.TargetId.Key.ToString(); // the key is the tenant
        }

        var key = type is not null && KeyedByTenant.Contains(type) ? context.TargetId.Key.ToString()
            : type == typeof(IAnswerStreamGrain) ? context.Request.GetArgument(0) as string // the collection key
            : null;
        return key is null ? null : key[..Math.Max(0, key.IndexOf('/', StringComparison.Ordinal))];
    }

    private static bool IsExternalClient(GrainId? source) =>
        source is { } id && id.IsClient() && !id.Key.ToString().StartsWith("hosted-", StringComparison.Ordinal);

    private static bool IsOwnInterface(MethodInfo method) => method.DeclaringType?.Namespace?.StartsWith(nameof(OrleansRag), StringComparison.Ordinal) == true;
}
