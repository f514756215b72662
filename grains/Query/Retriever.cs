using System.Diagnostics;
using OrleansRag.Embedding;
using OrleansRag.Retrieval;

namespace OrleansRag.Query;

/// <summary>
/// What the retrieve stage found: the ranked hits, the text's embedding (unless BM25 alone), the collection's embedding
/// model (what any further text of the answer is embedded with) and the time each step took.
/// </summary>
public sealed record class RetrievedSources(SearchHit[] Hits, float[]? Vector, double EmbedMs, double RetrieveMs, string EmbeddingModel);

/// <summary>
/// The retrieve stage of searches and answers: embed and/or analyse the text → fan out to every shard of the
/// collection concurrently → exact top-k merge (dense, BM25 with collection-wide statistics, or both fused with
/// reciprocal rank fusion). One per silo; the text is embedded with the collection's model, in its interactive lane.
/// </summary>
public sealed class Retriever(IGrainFactory grains, EmbeddingModels models)
{
    /// <summary>How deep each ranking goes before fusion.</summary>
    public const int FusionDepth = 100;

    /// <summary>The invariants of a query, checked where queries enter the grains.</summary>
    public static void Validate(string field, string text, SearchOptions options)
    {
        RagValidation.ThrowIfInvalid(RagValidation.CheckQuery(field, text), field);
        RagValidation.ThrowIfInvalid(RagValidation.CheckSearchOptions(options), nameof(options));
    }

    /// <summary>
    /// Ranks chunks by the options' mode. With <paramref name="forAnswer"/>, hits carry their sentence vectors
    /// and hybrid hits their dense cosine (not the fused rank score), so the generator weighs sources on one
    /// scale in every mode.
    /// </summary>
    public async Task<RetrievedSources> RetrieveAsync(string collectionKey, CollectionInfo info, string text, SearchOptions options, bool forAnswer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(options);
        var model = ModelOf(info);
        float[]? vector = null;
        var embedMs = 0.0;
        if (options.Mode != SearchMode.Bm25)
        {
            var embed = Stopwatch.StartNew();
            vector = await EmbedQuestionAsync(model, text, cancellationToken);
            embedMs = embed.Elapsed.TotalMilliseconds;
        }

        var watch = Stopwatch.StartNew();
        var shards = Enumerable.Range(0, info.ShardCount).Select(shard => grains.GetGrain<IRetrievalShardGrain>(GrainKeys.Shard(collectionKey, shard))).ToList();
        SearchHit[] hits;
        switch (options.Mode)
        {
            case SearchMode.Dense:
                hits = await DenseAsync(shards, model, vector!, options.TopK, options, forAnswer, cancellationToken);
                break;
            case SearchMode.Bm25:
                hits = await Bm25Async(shards, text, options.TopK, options, forAnswer, cancellationToken);
                break;
            default:
                var depth = Math.Max(options.TopK, FusionDepth);
                var dense = DenseAsync(shards, model, vector!, depth, options, forAnswer, cancellationToken);
                var lexical = Bm25Async(shards, text, depth, options, forAnswer, cancellationToken);
                var lists = await Task.WhenAll(dense, lexical);
                var denseWeight = options.DenseWeight ?? SearchOptions.DefaultDenseWeight;
                double[] weights = [2 * denseWeight, 2 * (1 - denseWeight)]; // equal weights are 1 each
                hits = options.Fusion == SearchFusion.Rrf
                    ? SearchHits.ReciprocalRankFusion(lists, options.RrfK, options.TopK, options.PerDocument, weights)
                    : SearchHits.ScoreFusion(lists, weights, options.TopK, options.PerDocument);
                if (forAnswer)
                {
                    var cosines = lists[0].ToDictionary(h => h.ChunkId, h => h.Score, StringComparer.Ordinal);
                    var floor = lists[0].Length > 0 ? lists[0][^1].Score : 0f;
                    hits = [.. hits.Select(h => h with { Score = cosines.GetValueOrDefault(h.ChunkId, floor) })];
                }

                break;
        }

        return new RetrievedSources(hits, vector, embedMs, watch.Elapsed.TotalMilliseconds, model);
    }

    /// <summary>
    /// The chunk that follows <paramref name="hit"/> in its document, as a hit with the same score and its sentence
    /// vectors; null when the hit is its document's last chunk (or the document changed meanwhile).
    /// </summary>
    public async Task<SearchHit?> NextChunkAsync(string collectionKey, CollectionInfo info, SearchHit hit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(hit);
        var shard = grains.GetGrain<IRetrievalShardGrain>(GrainKeys.Shard(collectionKey, Retrieval.ShardRouter.ShardFor(hit.DocumentId, info.ShardCount)));
        var page = await shard.GetDocumentChunksAsync(hit.DocumentId, hit.ChunkIndex + 1, 1, withVectors: true).WaitAsync(cancellationToken);
        return page.Chunks is [var next] && next.ChunkIndex == hit.ChunkIndex + 1 ? SearchHit.Of(next, hit.Score) with { Title = hit.Title } : null;
    }

    /// <summary>The model a collection's texts are embedded with.</summary>
    public string ModelOf(CollectionInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return info.EmbeddingModel?.Name ?? models.LegacyModel;
    }

    /// <summary>The question's unit-length embedding by <paramref name="model"/> (its interactive lane).</summary>
    public async Task<float[]> EmbedQuestionAsync(string model, string text, CancellationToken cancellationToken) =>
        (await models.EmbedNowAsync(model, [text], EmbeddingKind.Query, cancellationToken))[0];

    private static async Task<SearchHit[]> DenseAsync(List<IRetrievalShardGrain> shards, string model, float[] vector, int topK, SearchOptions options, bool withSentences, CancellationToken cancellationToken)
    {
        var query = new ShardQuery(SearchMode.Dense, topK, options.PerDocument, Vector: vector, Filter: options.Filter, WithSentences: withSentences, EmbeddingModel: model);
        var perShard = await Task.WhenAll(shards.Select(shard => shard.SearchAsync(query, cancellationToken)));
        return SearchHits.TopK(perShard.SelectMany(h => h), topK, options.PerDocument);
    }

    private static async Task<SearchHit[]> Bm25Async(List<IRetrievalShardGrain> shards, string text, int topK, SearchOptions options, bool withSentences, CancellationToken cancellationToken)
    {
        var terms = TextAnalyzer.Terms(text).ToArray();
        if (terms.Length == 0)
        {
            return [];
        }

        string[] distinct = [.. terms.Distinct(StringComparer.Ordinal)];
        var stats = Bm25Stats.Sum(await Task.WhenAll(shards.Select(shard => shard.GetBm25StatsAsync(distinct, cancellationToken))));
        var query = new ShardQuery(SearchMode.Bm25, topK, options.PerDocument, Terms: terms, DistinctTerms: distinct, Stats: stats, Filter: options.Filter, WithSentences: withSentences);
        var perShard = await Task.WhenAll(shards.Select(shard => shard.SearchAsync(query, cancellationToken)));
        return SearchHits.TopK(perShard.SelectMany(h => h), topK, options.PerDocument);
    }
}
