namespace OrleansRag;

/// <summary>Runs searches and questions against one collection; key: tenant/collection.</summary>
public interface IQueryGrain : IGrainWithStringKey
{
    /// <summary>Null when the collection does not exist.</summary>
    Task<SearchResponse?> SearchAsync(string query, SearchOptions options);

    /// <summary>Null when the collection does not exist.</summary>
    Task<AskResponse?> AskAsync(string question, SearchOptions options);

    /// <summary>
    /// The answer as it is generated: token events, then one Done event with citations and timings, or an Error
    /// event if generation breaks. An unknown collection gives a single Error event.
    /// </summary>
    IAsyncEnumerable<AskStreamEvent> AskStreamAsync(string question, SearchOptions options, CancellationToken cancellationToken = default);
}
