using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using OrleansRag.Monitoring;
using OrleansRag.Security;

namespace OrleansRag.Query.QueryLog;

/// <summary>
/// A collection's query log as callers reach it: ratings from anyone who may ask, reads for admins (the grain call filter
/// checks tenant and role). A reentrant stateless worker over the <see cref="IQueryLog"/> store, which the answer path
/// writes directly; it keeps no state of its own.
/// </summary>
[StatelessWorker(1)]
[Reentrant]
public sealed class QueryLogGrain(IQueryLog log, CollectionDirectory collections, IOptions<QueryLogOptions> options, RagInstruments instruments, TimeProvider time)
    : Grain, IQueryLogGrain
{
    public async Task<bool> RateAsync(string answerId, AnswerRating rating, string? comment, CancellationToken cancellationToken = default)
    {
        RagValidation.ThrowIfInvalid(RagValidation.CheckAnswerId(answerId), nameof(answerId));
        RagValidation.ThrowIfInvalid(RagValidation.CheckFeedbackComment(comment), nameof(comment));
        if (!Enum.IsDefined(rating))
        {
            throw new RagValidationException("rating must be up or down.", nameof(rating));
        }

        var collectionKey = this.GetPrimaryKeyString();
        if (!options.Value.Enabled || await collections.FindAsync(collectionKey, cancellationToken) is null)
        {
            return false;
        }

        var caller = RagPrincipal.FromContextValue(RequestContext.Get(RagRequestContext.Principal));
        var feedback = new AnswerFeedback(rating, string.IsNullOrWhiteSpace(comment) ? null : comment.Trim(), time.GetUtcNow(), caller?.KeyId);
        var (found, previous) = await log.RateAsync(collectionKey, answerId, feedback, cancellationToken);
        if (found)
        {
            instruments.Rated(collectionKey, rating, previous);
        }

        return found;
    }

    public async Task<QueryLogPage?> ReadAsync(QueryLogQuery query, CancellationToken cancellationToken = default)
    {
        RagValidation.ThrowIfInvalid(RagValidation.CheckQueryLogQuery(query), nameof(query));
        var collectionKey = this.GetPrimaryKeyString();
        if (await collections.FindAsync(collectionKey, cancellationToken) is null)
        {
            return null;
        }

        var (entries, next) = await log.ReadAsync(collectionKey, query, cancellationToken);
        return new QueryLogPage(GrainKeys.CollectionName(collectionKey), entries, next);
    }
}
