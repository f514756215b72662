namespace OrleansRag.Client;

/// <summary>Feedback on answers and the query log.</summary>
public sealed partial class RagClient
{
    public async Task<bool> RateAnswerAsync(string collection, string answerId, AnswerRating rating, string? comment = null, CancellationToken cancellationToken = default)
    {
        CheckCollection(collection);
        RagValidation.ThrowIfInvalid(RagValidation.CheckAnswerId(answerId), nameof(answerId));
        RagValidation.ThrowIfInvalid(RagValidation.CheckFeedbackComment(comment), nameof(comment));
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        return await _retry.ExecuteAsync(async token => await QueryLog(tenant, collection).RateAsync(answerId, rating, comment, token), cancellationToken);
    }

    public async Task<QueryLogPage?> GetQueryLogAsync(string collection, QueryLogQuery? query = null, CancellationToken cancellationToken = default)
    {
        CheckCollection(collection);
        query ??= new QueryLogQuery();
        RagValidation.ThrowIfInvalid(RagValidation.CheckQueryLogQuery(query), nameof(query));
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        return await _retry.ExecuteAsync(async token => await QueryLog(tenant, collection).ReadAsync(query, token), cancellationToken);
    }

    private IQueryLogGrain QueryLog(string tenant, string collection) => _grains.GetGrain<IQueryLogGrain>(GrainKeys.Collection(tenant, collection));
}
