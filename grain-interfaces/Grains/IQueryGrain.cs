namespace OrleansRag;

/// <summary>Runs searches and questions against one collection; key: tenant/collection.</summary>
public interface IQueryGrain : IGrainWithStringKey
{
    /// <summary>Null when the collection does not exist.</summary>
    Task<SearchResponse?> SearchAsync(string query, SearchOptions options);

    /// <summary>Null when the collection does not exist.</summary>
    Task<AskResponse?> AskAsync(string question, SearchOptions options);

    /// <summary>The sources an answer to <paramref name="question"/> would use; null when the collection does not exist.</summary>
    Task<AnswerSources?> RetrieveForAnswerAsync(string question, SearchOptions options);
}
