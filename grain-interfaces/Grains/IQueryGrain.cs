using OrleansRag.Security;

namespace OrleansRag;

/// <summary>Runs searches and questions against one collection; key: tenant/collection.</summary>
[TenantScoped(TenantScope.KeyPrefix)]
[Alias("OrleansRag.IQueryGrain")]
public interface IQueryGrain : IGrainWithStringKey
{
    /// <summary>Null when the collection does not exist.</summary>
    Task<SearchResponse?> SearchAsync(string query, SearchOptions options, CancellationToken cancellationToken = default);

    /// <summary>
    /// Null when the collection does not exist. With <paramref name="history"/> (earlier turns, oldest first) the
    /// question is a follow-up: condensed into a standalone question before it is answered. Cancelling stops the
    /// work: embedding, shard searches, the model request.
    /// </summary>
    Task<AskResponse?> AskAsync(string question, SearchOptions options, IReadOnlyList<ChatTurn>? history = null, CancellationToken cancellationToken = default);
}
