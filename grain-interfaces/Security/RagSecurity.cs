namespace OrleansRag.Security;

/// <summary>What an API key may do. Each role includes the ones before it.</summary>
public enum RagRole
{
    /// <summary>Search and ask.</summary>
    Reader = 0,

    /// <summary>Reader, plus ingest and delete documents.</summary>
    Writer = 1,

    /// <summary>Writer, plus collections, the tenant's alert rules and silences, and keys.</summary>
    Admin = 2,

    /// <summary>Admin, plus what belongs to the whole cluster: cluster-wide alert rules and silences.</summary>
    Operator = 3,
}

/// <summary>The role a grain method needs: the method's own, else its interface's, else Reader.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Interface, Inherited = true)]
public sealed class RequiresRoleAttribute(RagRole role) : Attribute
{
    public RagRole Role { get; } = role;
}

/// <summary>
/// A grain method only the silo itself may call (a grain's own bookkeeping, a sweep): every caller's key is refused
/// with 403, whatever its role. The cluster's access filter enforces it.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true)]
public sealed class InternalOnlyAttribute : Attribute
{
}

/// <summary>How a grain interface's calls belong to a tenant (see <see cref="TenantScopedAttribute"/>).</summary>
public enum TenantScope
{
    /// <summary>The grain's string key starts with the tenant: "tenant/collection/…".</summary>
    KeyPrefix,

    /// <summary>The grain's string key is the tenant.</summary>
    Key,

    /// <summary>The first argument of every method is a key that starts with the tenant ("tenant/collection").</summary>
    FirstArgumentPrefix,

    /// <summary>Cluster-wide, holding no tenant's data (embeddings, who-am-I) or guarded by a role (alerting, metrics).</summary>
    Cluster,
}

/// <summary>
/// Declares how a grain interface is keyed by tenant; the cluster's access filter enforces tenant isolation by it.
/// Every OrleansRag grain interface must declare one: calls with a principal to an undeclared interface are refused
/// (isolation fails closed), and a test fails on an undeclared interface.
/// </summary>
[AttributeUsage(AttributeTargets.Interface, Inherited = false)]
public sealed class TenantScopedAttribute(TenantScope scope) : Attribute
{
    public TenantScope Scope { get; } = scope;
}

/// <summary>Who is calling: the API key's id, its tenant and role.</summary>
[GenerateSerializer, Alias("OrleansRag.Security.RagPrincipal")]
[Immutable]
public sealed record RagPrincipal(
    [property: Id(0)] string KeyId,
    [property: Id(1)] string Tenant,
    [property: Id(2)] RagRole Role)
{
    /// <summary>
    /// The principal of the embedded default without keys: the one local user, of the default tenant, who also
    /// operates the (loopback-only) cluster.
    /// </summary>
    public static readonly RagPrincipal LocalAdmin = new("local", RagConstants.DefaultTenant, RagRole.Operator);

    /// <summary>
    /// The silo itself: calls that no caller's request started (timers, reminders, start-up, a grain's own
    /// bookkeeping). It reaches every grain; a silo stamps it, signed, on such calls (clients cannot).
    /// </summary>
    public static readonly RagPrincipal Internal = new("internal", "", RagRole.Operator);

    /// <summary>
    /// Whoever made a call that carries no verified identity, to one of Orleans' own interfaces (a grain extension, a
    /// reminder tick sent by a client): what such a call makes the silo do downstream carries this principal, signed,
    /// and every OrleansRag grain refuses it (401), so an unverified call can never make the silo act as itself.
    /// </summary>
    public static readonly RagPrincipal Anonymous = new("anonymous", "", RagRole.Reader);

    public bool IsInternal => this == Internal;

    public bool IsAnonymous => this == Anonymous;

    public bool Has(RagRole role) => Role >= role;

    /// <summary>The form carried in Orleans' request context ("keyId|tenant|role"; ids never contain '|').</summary>
    public string ToContextValue() => $"{KeyId}|{Tenant}|{Role}";

    public static RagPrincipal? FromContextValue(object? value) =>
        value is string text && text.Split('|') is [var keyId, var tenant, var role] && Enum.TryParse<RagRole>(role, out var parsed)
            ? new RagPrincipal(keyId, tenant, parsed)
            : null;
}

/// <summary>
/// Keys of Orleans' request context that carry identity into the cluster. A client sends its API key
/// (<see cref="ApiKey"/>); the first silo verifies it and replaces it with the principal (<see cref="Principal"/>),
/// which then flows with every further grain call of that request.
/// </summary>
public static class RagRequestContext
{
    public const string ApiKey = "orleansrag-key";
    public const string Principal = "orleansrag-principal";

    /// <summary>A silo's signature of <see cref="Principal"/> for the grain a call goes to (set by silos only).</summary>
    public const string Signature = "orleansrag-signature";
}

/// <summary>
/// A grain call was refused: no or an unknown API key, a key without the role, or a grain of another tenant
/// (<see cref="Status"/> 401, 403 or 404: another tenant's data does not exist for the caller).
/// </summary>
[GenerateSerializer, Alias("OrleansRag.Security.RagAccessDeniedException")]
public sealed class RagAccessDeniedException : Exception
{
    public RagAccessDeniedException()
    {
    }

    public RagAccessDeniedException(string message)
        : base(message)
    {
    }

    public RagAccessDeniedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public RagAccessDeniedException(int status, string message)
        : base(message)
    {
        Status = status;
    }

    [Id(0)]
    public int Status { get; init; } = 403;
}
