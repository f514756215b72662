using OrleansRag.Security;

namespace OrleansRag;

/// <summary>
/// Tells a client who its API key makes it: the cluster verifies the key (sent in the request context) and
/// answers with the key's tenant and role. The SDK scopes every grain key to that tenant.
/// </summary>
[TenantScoped(TenantScope.Cluster)]
[Alias("OrleansRag.IAccessGrain")]
public interface IAccessGrain : IGrainWithIntegerKey
{
    /// <summary>The caller's principal; <see cref="RagAccessDeniedException"/> (401) for a missing or unknown key.</summary>
    Task<RagPrincipal> WhoAmIAsync();
}
