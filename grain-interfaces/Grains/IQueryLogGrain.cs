using OrleansRag.Security;

namespace OrleansRag;

/// <summary>
/// A collection's query log and the feedback on its answers; key: tenant/collection. The answer path writes the log;
/// through this grain anyone who may ask rates an answer, and admins read the log.
/// </summary>
[TenantScoped(TenantScope.KeyPrefix)]
[Alias("OrleansRag.IQueryLogGrain")]
public interface IQueryLogGrain : IGrainWithStringKey
{
    /// <summary>
    /// Records a rating of the answer <paramref name="answerId"/> (a later rating replaces an earlier one); false when
    /// the collection has no such answer in its log (never given, or older than the retention).
    /// </summary>
    Task<bool> RateAsync(string answerId, AnswerRating rating, string? comment, CancellationToken cancellationToken = default);

    /// <summary>A page of the log, newest first; null when the collection does not exist.</summary>
    [RequiresRole(RagRole.Admin)]
    Task<QueryLogPage?> ReadAsync(QueryLogQuery query, CancellationToken cancellationToken = default);
}
