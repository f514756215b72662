using Orleans.Concurrency;

namespace OrleansRag.Security;

/// <summary>Answers "who am I" from the principal the <see cref="TenantAccessFilter"/> verified for this call.</summary>
[StatelessWorker]
[Reentrant]
public sealed class AccessGrain(ApiKeyVerifier keys) : Grain, IAccessGrain
{
    public Task<RagPrincipal> WhoAmIAsync() =>
        Task.FromResult(RagPrincipal.FromContextValue(RequestContext.Get(RagRequestContext.Principal))
            ?? (keys.IsOpen ? RagPrincipal.LocalAdmin : throw new RagAccessDeniedException(401, "An API key is required.")));
}
