using System.Diagnostics;
using Orleans.Concurrency;
using OrleansRag.Retrieval;

namespace OrleansRag.Query;

/// <summary>
/// Answers searches and questions for one collection: embed -> fan out to every shard concurrently -> exact
/// top-k merge -> generate. A reentrant stateless worker, so it runs on the silo that received the request.
/// </summary>
[StatelessWorker]
[Reentrant]
public sealed class QueryGrain(AnswerCache cache) : Grain, IQueryGrain
{
    public async Task<SearchResponse?> SearchAsync(string query, int topK)
    {
        RagValidation.ThrowIfInvalid(RagValidation.CheckQuery(nameof(query), query), nameof(query));
        RagValidation.ThrowIfInvalid(RagValidation.CheckTopK(topK), nameof(topK));
        var total = Stopwatch.StartNew();
        var info = await Collection().GetInfoAsync();
        if (!info.Exists)
        {
            return null;
        }

        var (vector, embedMs) = await EmbedQueryAsync(query);
        var (hits, retrieveMs) = await RetrieveAsync(info, vector, topK);
        return new SearchResponse(info.Name, query, hits, new SearchTimings(embedMs, retrieveMs, total.Elapsed.TotalMilliseconds));
    }

    public async Task<AskResponse?> AskAsync(string question, int topK)
    {
        RagValidation.ThrowIfInvalid(RagValidation.CheckQuery(nameof(question), question), nameof(question));
        RagValidation.ThrowIfInvalid(RagValidation.CheckTopK(topK), nameof(topK));
        var info = await Collection().GetInfoAsync();
        if (!info.Exists)
        {
            return null;
        }

        var key = AnswerCache.Key(this.GetPrimaryKeyString(), info.Version, question, topK);
        return await cache.GetOrComputeAsync(key, () => ComputeAnswerAsync(info, question, topK));
    }

    private async Task<AskResponse> ComputeAnswerAsync(CollectionInfo info, string question, int topK)
    {
        var total = Stopwatch.StartNew();
        var (vector, embedMs) = await EmbedQueryAsync(question);
        var (hits, retrieveMs) = await RetrieveAsync(info, vector, topK);
        var generate = Stopwatch.StartNew();
        var generated = await GrainFactory.GetGrain<IGenerationGrain>(0).GenerateAsync(question, vector, hits);
        var generateMs = generate.Elapsed.TotalMilliseconds;
        return new AskResponse(info.Name, question, generated.Answer, generated.Citations,
            new AskTimings(embedMs, retrieveMs, generateMs, total.Elapsed.TotalMilliseconds));
    }

    private async Task<(float[] Vector, double Ms)> EmbedQueryAsync(string text)
    {
        var watch = Stopwatch.StartNew();
        var batch = await GrainFactory.GetGrain<IEmbeddingGrain>(0).EmbedAsync([text], EmbeddingKind.Query);
        return (batch.Vectors[0], watch.Elapsed.TotalMilliseconds);
    }

    private async Task<(SearchHit[] Hits, double Ms)> RetrieveAsync(CollectionInfo info, float[] vector, int topK)
    {
        var watch = Stopwatch.StartNew();
        var collectionKey = this.GetPrimaryKeyString();
        var perShard = await Task.WhenAll(Enumerable.Range(0, info.ShardCount).Select(shard =>
            GrainFactory.GetGrain<IRetrievalShardGrain>(GrainKeys.Shard(collectionKey, shard)).SearchAsync(vector, topK)));
        return (VectorIndex.Merge(perShard, topK), watch.Elapsed.TotalMilliseconds);
    }

    private ICollectionGrain Collection() => GrainFactory.GetGrain<ICollectionGrain>(this.GetPrimaryKeyString());
}
