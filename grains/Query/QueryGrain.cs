using System.Diagnostics;
using Orleans.Concurrency;
using OrleansRag.Generation;
using OrleansRag.Monitoring;

namespace OrleansRag.Query;

/// <summary>
/// Searches and answers for one collection: the entry into the grains, where a query's invariants are checked.
/// Searches run the <see cref="Retriever"/>; asks the <see cref="AnswerPipeline"/>. A reentrant stateless
/// worker, so it runs on the silo that received the request; it never waits on the collection grain's writes.
/// One activation per silo (reentrant, so it serves many requests at once): Orleans routes a caller's cancellation
/// to some activation of a stateless worker, not to the one running the call (dotnet/orleans#9877), so with
/// several activations an abandoned ask would run on to the end, model request included.
/// </summary>
[StatelessWorker(1)]
[Reentrant]
public sealed class QueryGrain(Retriever retriever, AnswerPipeline answers, CollectionDirectory collections, Generation.Rerank.Reranking reranking, RagInstruments instruments) : Grain, IQueryGrain
{
    public Task<SearchResponse?> SearchAsync(string query, SearchOptions options, CancellationToken cancellationToken = default) =>
        instruments.TrackAsync("search", () => SearchCoreAsync(query, options, cancellationToken), cancellationToken);

    public Task<AskResponse?> AskAsync(string question, SearchOptions options, IReadOnlyList<ChatTurn>? history = null, CancellationToken cancellationToken = default) =>
        instruments.TrackAsync("ask", () => answers.AskAsync(this.GetPrimaryKeyString(), question, options, history, cancellationToken), cancellationToken);

    private async Task<SearchResponse?> SearchCoreAsync(string query, SearchOptions options, CancellationToken cancellationToken)
    {
        Retriever.Validate(nameof(query), query, options);
        var total = Stopwatch.StartNew();
        var collectionKey = this.GetPrimaryKeyString();
        var info = await collections.FindAsync(collectionKey, cancellationToken);
        if (info is null)
        {
            return null;
        }

        // Reranked: more candidates retrieved, the reranker's best topK kept (the fused order, said so, when it fails).
        var rerank = reranking.Wanted(options.Rerank, info.Rerank);
        var found = await retriever.RetrieveAsync(collectionKey, info, query, rerank ? options with { TopK = reranking.Candidates(options.TopK) } : options, forAnswer: false, cancellationToken);
        var reranked = rerank ? await reranking.RerankAsync(query, found.Hits, options.TopK, cancellationToken) : new Generation.Rerank.RerankResult(found.Hits, false, null);
        return new SearchResponse(info.Name, query, reranked.Hits, new SearchTimings(found.EmbedMs, found.RetrieveMs, total.Elapsed.TotalMilliseconds), options.Mode,
            reranked.Reranked, reranked.DegradedReason);
    }
}
