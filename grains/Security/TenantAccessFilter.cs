using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Orleans.Serialization.Invocation;

namespace OrleansRag.Security;

/// <summary>
/// Tenant isolation and roles inside the cluster, on every silo, for every grain call (not only at the HTTP edge).
/// With API keys configured, a call to an OrleansRag grain interface must carry either
/// <list type="bullet">
/// <item>an API key in the request context: verified here and replaced by its principal, which flows with every
/// further call of the request (so the secret travels one hop only); or</item>
/// <item>a principal signed by a silo for this very grain (<see cref="PrincipalSigningFilter"/> signs every call a
/// silo makes; calls that no request started carry the signed <see cref="RagPrincipal.Internal"/>).</item>
/// </list>
/// Anything else is refused with 401, whoever the connection claims to be: a client that presents a hosted
/// client's or a grain's id, or a principal of its own, gains nothing. A call to one of Orleans' own interfaces
/// (reminder ticks, stream deliveries, grain extensions) passes; when it carries no verified identity it runs as
/// <see cref="RagPrincipal.Anonymous"/>, so what it makes the silo do downstream is refused too, never signed as the
/// silo's own (reminder service and stream agents are silos: their calls carry the signed internal principal). Orleans'
/// reminder and stream machinery (<see cref="SiloOnlyInterfaces"/>) answers silos only: a client, whatever its key,
/// cannot send a reminder tick nor publish onto, subscribe to or deliver from a stream (the metrics stream feeds alerts). The principal must have the role the method
/// needs, and may only reach grains of its own tenant (another tenant's grain answers 404, exactly as one that does
/// not exist); grains keyed to no tenant (cluster-wide alerting) need the operator role.
/// Without keys (the embedded default) it does nothing.
/// </summary>
public sealed partial class TenantAccessFilter(ApiKeyVerifier keys, ILogger<TenantAccessFilter> logger) : IIncomingGrainCallFilter
{
    private static readonly string AnonymousValue = RagPrincipal.Anonymous.ToContextValue();

    /// <summary>
    /// Orleans' interfaces that only a silo has reason to call: reminder ticks, grain deactivation and migration, and the
    /// streams' queues, pub-sub and deliveries.
    /// </summary>
    public static readonly IReadOnlySet<string> SiloOnlyInterfaces = new HashSet<string>(StringComparer.Ordinal)
    {
        "Orleans.IRemindable",
        "Orleans.Core.Internal.IGrainManagementExtension", // deactivating or migrating grains (shards reload their whole index)
        "Orleans.Providers.IMemoryStreamQueueGrain",
        "Orleans.Streams.IPubSubRendezvousGrain",
        "Orleans.Streams.IStreamConsumerExtension",
        "Orleans.Streams.IStreamProducerExtension",
    };

    private static readonly ConcurrentDictionary<MethodInfo, RagRole> RequiredRoles = new();

    /// <summary>Methods marked <see cref="InternalOnlyAttribute"/>.</summary>
    private static readonly ConcurrentDictionary<MethodInfo, bool> InternalOnly = new();

    /// <summary>Each interface's declared <see cref="TenantScopedAttribute"/>, null when it declares none.</summary>
    private static readonly ConcurrentDictionary<Type, TenantScope?> Scopes = new();

    public Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (keys.IsOpen)
        {
            return context.Invoke();
        }

        // Every call, Orleans' own interfaces included (reminders, enumeration steps): an identity that does not verify
        // is dropped here, so it can never be signed onward by this silo.
        var principal = Authenticate(context);
        var method = Effective(context).Method;
        if (!IsOwnInterface(method))
        {
            if (method.DeclaringType?.FullName is { } name && SiloOnlyInterfaces.Contains(name) && principal?.IsInternal != true)
            {
                throw new RagAccessDeniedException(principal is null or { IsAnonymous: true } ? 401 : 403, "Only the cluster itself may call this.");
            }

            if (principal is null)
            {
                RequestContext.Set(RagRequestContext.Principal, AnonymousValue);
                LogAnonymous(method.DeclaringType?.Name ?? "?", method.Name, context.TargetId.ToString());
            }

            return context.Invoke();
        }

        if (principal is null || principal.IsAnonymous)
        {
            throw new RagAccessDeniedException(401, "An API key is required (RagClientOptions.ApiKey).");
        }

        if (!principal.IsInternal)
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
            RequestContext.Remove(RagRequestContext.Signature);
            return verified;
        }

        if (RequestContext.Get(RagRequestContext.Principal) is string carried
            && keys.IsSigned(carried, context.TargetId, RequestContext.Get(RagRequestContext.Signature) as string)
            && RagPrincipal.FromContextValue(carried) is { } signed)
        {
            return signed;
        }

        RequestContext.Remove(RagRequestContext.Principal);
        RequestContext.Remove(RagRequestContext.Signature);
        return null;
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
        if (InternalOnly.GetOrAdd(method, m => m.GetCustomAttribute<InternalOnlyAttribute>() is not null))
        {
            throw new RagAccessDeniedException(403, "Only the cluster itself may call this.");
        }

        var required = RequiredRoles.GetOrAdd(method, m =>
            (m.GetCustomAttribute<RequiresRoleAttribute>() ?? m.DeclaringType?.GetCustomAttribute<RequiresRoleAttribute>())?.Role ?? RagRole.Reader);
        if (!principal.Has(required))
        {
            throw new RagAccessDeniedException(403, $"This needs the {required.ToString().ToLowerInvariant()} role; the key has {principal.Role.ToString().ToLowerInvariant()}.");
        }

        var tenant = TenantOf(context);
        if (tenant is "" && principal.Has(RagRole.Operator))
        {
            return; // a key without a tenant part: the cluster's own (cluster-wide alert rules), the operator's
        }

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

    private static bool IsOwnInterface(MethodInfo method) => method.DeclaringType?.Namespace?.StartsWith(nameof(OrleansRag), StringComparison.Ordinal) == true;

    [LoggerMessage(Level = LogLevel.Debug, Message = "An unverified call to {Interface}.{Method} on {Grain} runs as anonymous")]
    private partial void LogAnonymous(string @interface, string method, string grain);
}

/// <summary>
/// Signs, on every call a silo makes (from a grain, a timer, a hosted service or the HTTP edge), the principal the
/// call carries for the grain it goes to; a call that no caller's request started carries the silo's own
/// <see cref="RagPrincipal.Internal"/>. A call with an API key needs no signature: the receiving silo verifies the key.
/// </summary>
public sealed class PrincipalSigningFilter(ApiKeyVerifier keys) : IOutgoingGrainCallFilter
{
    private static readonly string InternalValue = RagPrincipal.Internal.ToContextValue();

    /// <remarks>Async so that what it sets in the request context goes with this call only, never back to the caller.</remarks>
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!keys.IsOpen && RequestContext.Get(RagRequestContext.ApiKey) is null)
        {
            if (RequestContext.Get(RagRequestContext.Principal) is not string principal)
            {
                principal = InternalValue;
                RequestContext.Set(RagRequestContext.Principal, principal);
            }

            RequestContext.Set(RagRequestContext.Signature, keys.Sign(principal, context.TargetId));
        }

        await context.Invoke();
    }
}
