using System.Collections.Concurrent;
using System.Reflection;
using Orleans.Serialization.Invocation;

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

    /// <summary>Each interface's declared <see cref="TenantScopedAttribute"/>, null when it declares none.</summary>
    private static readonly ConcurrentDictionary<Type, TenantScope?> Scopes = new();

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

        if (IsExternalClient(context.SourceId) && IsOwnInterface(Effective(context).Method))
        {
            RequestContext.Remove(RagRequestContext.Principal);
            throw new RagAccessDeniedException(401, "An API key is required (RagClientOptions.ApiKey).");
        }

        return RagPrincipal.FromContextValue(RequestContext.Get(RagRequestContext.Principal));
    }

    /// <summary>
    /// The method a call really runs and its request: for an IAsyncEnumerable grain method Orleans sends the call to
    /// its enumeration extension (an Orleans interface) with the grain's own request as an argument, so the checks
    /// apply to that inner request. Without this, streamed asks would pass unchecked.
    /// </summary>
    private static (MethodInfo Method, IInvokable Request) Effective(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod.DeclaringType?.Name == "IAsyncEnumerableGrainExtension")
        {
            for (var i = 0; i < context.Request.GetArgumentCount(); i++)
            {
                if (context.Request.GetArgument(i) is IInvokable inner && inner.GetMethod() is { } method)
                {
                    return (method, inner);
                }
            }
        }

        return (context.InterfaceMethod, context.Request);
    }

    private static void Authorize(RagPrincipal principal, IIncomingGrainCallContext context)
    {
        var method = Effective(context).Method;
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

    /// <summary>
    /// The tenant a call reaches, by its interface's declared <see cref="TenantScope"/>; null for cluster-wide
    /// interfaces and Orleans' own. An OrleansRag interface without a declaration is refused: isolation fails closed.
    /// </summary>
    private static string? TenantOf(IIncomingGrainCallContext context)
    {
        var (method, request) = Effective(context);
        if (method.DeclaringType is not { } type || !IsOwnInterface(method))
        {
            return null;
        }

        var scope = Scopes.GetOrAdd(type, t => t.GetCustomAttribute<TenantScopedAttribute>()?.Scope)
            ?? throw new RagAccessDeniedException(403, $"{type.Name} declares no tenant scope, so calls to it are refused.");
        var key = scope switch
        {
            TenantScope.Key => context.TargetId.Key.ToString(),
            TenantScope.KeyPrefix => Prefix(context.TargetId.Key.ToString()),
            TenantScope.FirstArgumentPrefix => request.GetArgumentCount() > 0 && request.GetArgument(0) is string first ? Prefix(first) : "",
            _ => null,
        };
        return key;

        // A key without its tenant part yields "", which matches no tenant.
        static string Prefix(string? key) => key is null ? "" : key[..Math.Max(0, key.IndexOf('/', StringComparison.Ordinal))];
    }

    private static bool IsExternalClient(GrainId? source) =>
        source is { } id && id.IsClient() && !id.Key.ToString().StartsWith("hosted-", StringComparison.Ordinal);

    private static bool IsOwnInterface(MethodInfo method) => method.DeclaringType?.Namespace?.StartsWith(nameof(OrleansRag), StringComparison.Ordinal) == true;
}
