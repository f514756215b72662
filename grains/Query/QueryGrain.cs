using System.Diagnostics;
using Orleans.Concurrency;
using OrleansRag.Monitoring;
using OrleansRag.Retrieval;

namespace OrleansRag.Query;

/// <summary>
/// Answers searches and questions for one collection: embed and/or analyse the text -> fan out to every shard
/// concurrently -> exact top-k merge (dense, BM25 with collection-wide statistics, or both fused with
/// reciprocal rank fusion) -> generate. A reentrant stateless worker, so it runs on the silo that received
/// the request.
/// </summary>
[StatelessWorker]
[Reentrant]
public sealed class QueryGrain(AnswerCache cache) : Grain, IQueryGrain
{
    /// <summary>How deep each ranking goes before fusion.</summary>
    public const int FusionDepth = 100;

    public Task<SearchResponse?> SearchAsync(string query, SearchOptions options) =>
        RagInstruments.TrackAsync("search", () => SearchCoreAsync(query, options));

    public Task<AskResponse?> AskAsync(string question, SearchOptions options) =>
        RagInstruments.TrackAsync("ask", () => AskCoreAsync(question, options));

    private async Task<SearchResponse?> SearchCoreAsync(string query, SearchOptions options)
    {
        Validate(nameof(query), query, options);
        var total = Stopwatch.StartNew();
        var info = await Collection().GetInfoAsync();
        if (!info.Exists)
        {
            return null;
        }

        var (hits, _, embedMs, retrieveMs) = await RetrieveAsync(info, query, options);
        return new SearchResponse(info.Name, query, hits, new SearchTimings(embedMs, retrieveMs, total.Elapsed.TotalMilliseconds), options.Mode);
    }

    private async Task<AskResponse?> AskCoreAsync(string question, SearchOptions options)
    {
        Validate(nameof(question), question, options);
        var info = await Collection().GetInfoAsync();
        if (!info.Exists)
        {
            return null;
        }

        var key = AnswerCache.Key(this.GetPrimaryKeyString(), info.Version, question, options);
        return await cache.GetOrComputeAsync(key, () => ComputeAnswerAsync(info, question, options));
    }

    public async Task<AnswerSources?> RetrieveForAnswerAsync(string question, SearchOptions options)
    {
        Validate(nameof(question), question, options);
        var info = await Collection().GetInfoAsync();
        if (!info.Exists)
        {
            return null;
        }

        var (hits, vector, embedMs, retrieveMs) = await RetrieveAsync(info, question, options with { PerDocument = false }, forGeneration: true);
        return new AnswerSources(info.Name, hits, vector ?? await EmbedAsync(question), embedMs, retrieveMs);
    }

    private async Task<AskResponse> ComputeAnswerAsync(CollectionInfo info, string question, SearchOptions options)
    {
        var total = Stopwatch.StartNew();
        var (hits, vector, embedMs, retrieveMs) = await RetrieveAsync(info, question, options with { PerDocument = false }, forGeneration: true);
        var generate = Stopwatch.StartNew();
        var generated = await GrainFactory.GetGrain<IGenerationGrain>(0).GenerateAsync(question, vector ?? await EmbedAsync(question), hits);
        var generateMs = generate.Elapsed.TotalMilliseconds;
        return new AskResponse(info.Name, question, generated.Answer, generated.Citations,
            new AskTimings(embedMs, retrieveMs, generateMs, total.Elapsed.TotalMilliseconds), Degraded: generated.Degraded, DegradedReason: generated.DegradedReason);
    }

    /// <summary>
    /// Ranks chunks by the options' mode. With <paramref name="forGeneration"/>, hybrid hits carry their dense
    /// cosine (not the fused rank score) so the generator weighs sources on one scale in every mode.
    /// </summary>
    private async Task<(SearchHit[] Hits, float[]? Vector, double EmbedMs, double RetrieveMs)> RetrieveAsync(
        CollectionInfo info, string text, SearchOptions options, bool forGeneration = false)
    {
        float[]? vector = null;
        var embedMs = 0.0;
        if (options.Mode != SearchMode.Bm25)
        {
            var embed = Stopwatch.StartNew();
            vector = await EmbedAsync(text);
            embedMs = embed.Elapsed.TotalMilliseconds;
        }

        var watch = Stopwatch.StartNew();
        SearchHit[] hits;
        switch (options.Mode)
        {
            case SearchMode.Dense:
                hits = await DenseAsync(info, vector!, options.TopK, options.PerDocument, options.Filter);
                break;
            case SearchMode.Bm25:
                hits = await Bm25Async(info, text, options.TopK, options.PerDocument, options.Filter);
                break;
            default:
                var depth = Math.Max(options.TopK, FusionDepth);
                var dense = DenseAsync(info, vector!, depth, options.PerDocument, options.Filter);
                var lexical = Bm25Async(info, text, depth, options.PerDocument, options.Filter);
                var lists = await Task.WhenAll(dense, lexical);
                hits = SearchHits.ReciprocalRankFusion(lists, options.RrfK, options.TopK, options.PerDocument);
                if (forGeneration)
                {
                    var cosines = lists[0].ToDictionary(h => h.ChunkId, h => h.Score, StringComparer.Ordinal);
                    var floor = lists[0].Length > 0 ? lists[0][^1].Score : 0f;
                    hits = [.. hits.Select(h => h with { Score = cosines.GetValueOrDefault(h.ChunkId, floor) })];
                }

                break;
        }

        return (hits, vector, embedMs, watch.Elapsed.TotalMilliseconds);
    }

    private async Task<SearchHit[]> DenseAsync(CollectionInfo info, float[] vector, int topK, bool perDocument, MetadataFilter? filter)
    {
        var query = new ShardQuery(SearchMode.Dense, topK, perDocument, Vector: vector, Filter: filter);
        var perShard = await Task.WhenAll(Shards(info).Select(shard => shard.SearchAsync(query)));
        return SearchHits.TopK(perShard.SelectMany(h => h), topK, perDocument);
    }

    private async Task<SearchHit[]> Bm25Async(CollectionInfo info, string text, int topK, bool perDocument, MetadataFilter? filter)
    {
        var terms = TextAnalyzer.Terms(text).ToArray();
        if (terms.Length == 0)
        {
            return [];
        }

        string[] distinct = [.. terms.Distinct(StringComparer.Ordinal)];
        var shards = Shards(info).ToList();
        var stats = Bm25Stats.Sum(await Task.WhenAll(shards.Select(shard => shard.GetBm25StatsAsync(distinct))));
        var query = new ShardQuery(SearchMode.Bm25, topK, perDocument, Terms: terms, DistinctTerms: distinct, Stats: stats, Filter: filter);
        var perShard = await Task.WhenAll(shards.Select(shard => shard.SearchAsync(query)));
        return SearchHits.TopK(perShard.SelectMany(h => h), topK, perDocument);
    }

    private async Task<float[]> EmbedAsync(string text) =>
        (await GrainFactory.GetGrain<IEmbeddingGrain>(0).EmbedAsync([text], EmbeddingKind.Query)).Vectors[0];

    private IEnumerable<IRetrievalShardGrain> Shards(CollectionInfo info)
    {
        var collectionKey = this.GetPrimaryKeyString();
        return Enumerable.Range(0, info.ShardCount).Select(shard => GrainFactory.GetGrain<IRetrievalShardGrain>(GrainKeys.Shard(collectionKey, shard)));
    }

    private ICollectionGrain Collection() => GrainFactory.GetGrain<ICollectionGrain>(this.GetPrimaryKeyString());

    private static void Validate(string field, string text, SearchOptions options)
    {
        RagValidation.ThrowIfInvalid(RagValidation.CheckQuery(field, text), field);
        RagValidation.ThrowIfInvalid(RagValidation.CheckSearchOptions(options), nameof(options));
    }
}
