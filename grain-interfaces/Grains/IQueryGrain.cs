using OrleansRag.Security;

namespace OrleansRag;

/// <summary>Runs searches and questions against one collection; key: tenant/collection.</summary>
[TenantScoped(TenantScope.KeyPrefix)]
[Alias("OrleansRag.IQueryGrain")]
public interface IQueryGrain : IGrainWithStringKey
{
    /// <summary>Null when the collection does not exist.</summary>
    Task<SearchResponse?> SearchAsync(string query, SearchOptions options, CancellationToken cancellationToken = default);

    /// <summary>Null when the collection does not exist. Cancelling stops the work: embedding, shard searches, the model request.</summary>
    Task<AskResponse?> AskAsync(string question, SearchOptions options, CancellationToken cancellationToken = default);
}
