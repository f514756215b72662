using OrleansRag.Security;

namespace OrleansRag;

/// <summary>
/// One conversation with a collection; key: tenant/collection/conversationId. It owns the turns (bounded by
/// <c>Conversations:MaxTurns</c>, persisted, expired after <c>Conversations:IdleTtl</c> without a turn) and their
/// order: turns run one at a time, each a follow-up condensed from the earlier ones and answered by the same path as
/// an ask. Only the key that created it (or an admin of its tenant) sees it; everyone else gets "not found".
/// </summary>
[TenantScoped(TenantScope.KeyPrefix)]
[Alias("OrleansRag.IConversationGrain")]
public interface IConversationGrain : IGrainWithStringKey
{
    /// <summary>Starts the conversation, owned by the caller; null when the collection does not exist.</summary>
    Task<ConversationInfo?> CreateAsync(CancellationToken cancellationToken = default);

    /// <summary>The conversation and its turns; null when it does not exist, has expired or is not the caller's.</summary>
    Task<Conversation?> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes the conversation; false when it did not exist (or is not the caller's).</summary>
    Task<bool> DeleteAsync(CancellationToken cancellationToken = default);

    /// <summary>Answers the next question with the conversation's history and adds the turn; null when the conversation does not exist.</summary>
    Task<AskResponse?> SendAsync(string question, SearchOptions options, CancellationToken cancellationToken = default);

    /// <summary>
    /// The same as <see cref="SendAsync"/>, streamed: Token events, then Done (the turn is stored) or Error. An unknown
    /// conversation gives a single Error event.
    /// </summary>
    IAsyncEnumerable<AskStreamEvent> SendStreamAsync(string question, SearchOptions options, CancellationToken cancellationToken = default);

    /// <summary>
    /// The index's expiry sweep: removes the conversation when it has been idle longer than the TTL (without calling
    /// back into the index, which drops the entry itself). Returns the entry as it stands when it is still alive, null
    /// when it is gone.
    /// </summary>
    [InternalOnly]
    Task<ConversationEntry?> ExpireIfIdleAsync();
}
