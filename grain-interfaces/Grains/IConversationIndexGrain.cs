using Orleans.Concurrency;
using OrleansRag.Security;

namespace OrleansRag;

/// <summary>
/// One key's conversations with one collection, for listing and expiry; key: tenant/collection/keyId. Written by the
/// conversation grains themselves (the silo's own calls: no key may write it, whatever its role); bounded by <c>Conversations:MaxPerKey</c>.
/// </summary>
[TenantScoped(TenantScope.KeyPrefix)]
[Alias("OrleansRag.IConversationIndexGrain")]
public interface IConversationIndexGrain : IGrainWithStringKey
{
    /// <summary>Records a new conversation; false when the key already holds the most it may with this collection.</summary>
    [InternalOnly]
    Task<bool> AddAsync(ConversationEntry entry);

    /// <summary>Refreshes a recorded conversation's entry (title, turns, last activity); an unknown id is ignored.</summary>
    [InternalOnly]
    [OneWay]
    Task UpdateAsync(ConversationEntry entry);

    [InternalOnly]
    Task RemoveAsync(string id);

    /// <summary>The live conversations, most recently active first.</summary>
    Task<ConversationInfo[]> ListAsync(CancellationToken cancellationToken = default);
}
