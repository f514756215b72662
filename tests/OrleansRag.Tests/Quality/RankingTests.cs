using OrleansRag.Cli.Evaluation;
using OrleansRag.Retrieval;
using OrleansRag.Tests.Engines;

namespace OrleansRag.Tests.Quality;

[Trait("Category", "Unit")]
public sealed class RankingTests
{
    private static IndexedChunk Chunk(string doc, int index, string text) => new($"{doc}#{index}", doc, index, doc, text, []);

    [Fact]
    public void Bm25_matches_a_direct_computation_of_lucenes_formula()
    {
        var chunks = new[]
        {
            Chunk("a", 0, "Running dogs chase running cats in the park."),
            Chunk("b", 0, "A cat sleeps in the sun."),
            Chunk("c", 0, "Compilers translate source code."),
            Chunk("d", 0, "Dogs and cats are common pets; dogs bark."),
        };
        var index = new Bm25Index();
        foreach (var chunk in chunks)
        {
            index.Upsert(chunk.DocumentId, [chunk]);
        }

        var query = TextAnalyzer.Terms("running dogs");
        Assert.Equal(["run", "dog"], query);
        var distinct = query.Distinct().ToArray();
        var hits = index.Search(query, distinct, index.Stats(distinct), 10, perDocument: false);

        // Reference: BM25 with k1 0.9, b 0.4 computed from the analysed texts.
        var docs = chunks.ToDictionary(c => c.DocumentId, c => TextAnalyzer.Terms(c.Title + " " + c.Text));
        var average = docs.Values.Average(t => t.Count);
        double Score(List<string> terms) => query.Sum(term =>
        {
            var df = docs.Values.Count(t => t.Contains(term));
            var tf = terms.Count(t => t == term);
            var idf = Math.Log(1 + (docs.Count - df + 0.5) / (df + 0.5));
            return tf == 0 ? 0 : idf * tf * (Bm25Index.K1 + 1) / (tf + Bm25Index.K1 * (1 - Bm25Index.B + Bm25Index.B * terms.Count / average));
        });
        var expected = docs.Select(d => (d.Key, Score: Score(d.Value))).Where(d => d.Score > 0).OrderByDescending(d => d.Score).ToList();
        Assert.Equal(expected.Select(e => e.Key), hits.Select(h => h.DocumentId));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Score, hits[i].Score, 4);
        }
    }

    [Fact]
    public void Bm25_statistics_summed_over_shards_give_the_same_scores_as_one_index()
    {
        var random = new Random(5);
        string[] words = ["orleans", "grain", "silo", "cluster", "redis", "vector", "shard", "query", "answer", "token"];
        var docs = Enumerable.Range(0, 60).Select(i => Chunk($"d{i}", 0,
            string.Join(' ', Enumerable.Range(0, 5 + random.Next(20)).Select(_ => words[random.Next(words.Length)])))).ToList();
        var whole = new Bm25Index();
        var shards = Enumerable.Range(0, 3).Select(_ => new Bm25Index()).ToArray();
        foreach (var doc in docs)
        {
            whole.Upsert(doc.DocumentId, [doc]);
            shards[ShardRouter.ShardFor(doc.DocumentId, 3)].Upsert(doc.DocumentId, [doc]);
        }

        var query = TextAnalyzer.Terms("grain silo redis redis");
        var distinct = query.Distinct().ToArray();
        var stats = Bm25Stats.Sum([.. shards.Select(s => s.Stats(distinct))]);
        Assert.Equal(whole.Stats(distinct).DocumentFrequencies, stats.DocumentFrequencies);
        var merged = SearchHits.TopK(shards.SelectMany(s => s.Search(query, distinct, stats, 10, false)), 10, false);
        var single = whole.Search(query, distinct, whole.Stats(distinct), 10, false);
        Assert.Equal(single.Select(h => h.ChunkId), merged.Select(h => h.ChunkId));
    }

    [Fact]
    public void Removing_a_document_removes_it_from_bm25()
    {
        var index = new Bm25Index();
        index.Upsert("a", [Chunk("a", 0, "zebra stripes")]);
        index.Upsert("b", [Chunk("b", 0, "penguin feathers")]);
        Assert.True(index.Remove("a"));
        var query = TextAnalyzer.Terms("zebra");
        Assert.Empty(index.Search(query, [.. query.Distinct()], index.Stats([.. query.Distinct()]), 5, false));
        Assert.Equal(1, index.Count);
    }

    [Fact]
    public void Reciprocal_rank_fusion_rewards_agreement()
    {
        SearchHit Hit(string doc) => new(doc, 0, doc + "#0", doc, "", 1f);
        var dense = new[] { Hit("a"), Hit("b"), Hit("c") };
        var lexical = new[] { Hit("c"), Hit("b"), Hit("d") };
        var fused = SearchHits.ReciprocalRankFusion([dense, lexical], 60, 4, perDocument: true);
        // c: 1/63 + 1/61 and b: 2/62 (both lists) beat a: 1/61 and d: 1/63 (one list each).
        Assert.Equal(["c", "b", "a", "d"], fused.Select(h => h.DocumentId));
        Assert.Equal(1.0 / 63 + 1.0 / 61, fused[0].Score, 5);
        Assert.Equal(2.0 / 62, fused[1].Score, 5);
    }

    [Fact]
    public void Score_fusion_weighs_how_far_each_hit_stands_above_its_own_list_not_only_where_it_ranks()
    {
        SearchHit Hit(string doc, float score) => new(doc, 0, doc + "#0", doc, "", score);

        // Dense cosines are close together; BM25 has one clear winner, "x", that dense ranks third.
        var dense = new[] { Hit("a", 0.62f), Hit("b", 0.61f), Hit("x", 0.60f), Hit("c", 0.59f) };
        var lexical = new[] { Hit("x", 30f), Hit("a", 9f), Hit("b", 8f), Hit("d", 7f) };
        var fused = SearchHits.ScoreFusion([dense, lexical], [1, 1], 5, perDocument: true);
        Assert.Equal("x", fused[0].DocumentId); // z: dense -0.45 + BM25 1.73, against a's 1.34 - 0.47
        Assert.Equal("a", SearchHits.ReciprocalRankFusion([dense, lexical], 60, 5, perDocument: true)[0].DocumentId); // ranks only: 1/61 + 1/62 beats 1/63 + 1/61
        Assert.Equal(5, fused.Length);

        // A hit missing from a list counts as that list's lowest; all the weight on one list gives that list's order.
        Assert.Equal(["a", "b", "x", "c"], SearchHits.ScoreFusion([dense, lexical], [1, 0], 4, perDocument: true).Select(h => h.DocumentId));
        Assert.Equal(["x", "a", "b"], SearchHits.ScoreFusion([dense, lexical], [0, 1], 3, perDocument: true).Select(h => h.DocumentId));

        // A list whose scores are all equal adds nothing either way; an empty one is ignored.
        var flat = new[] { Hit("a", 1f), Hit("b", 1f) };
        Assert.Equal(["a", "b"], SearchHits.ScoreFusion([flat, Array.Empty<SearchHit>()], [1, 1], 2, perDocument: true).Select(h => h.DocumentId));
    }

    [Theory]
    [MemberData(nameof(VectorIndexTests.Kinds), MemberType = typeof(VectorIndexTests))]
    public async Task Per_document_ranking_keeps_each_documents_best_chunk(string kind)
    {
        var random = new Random(11);
        using var index = VectorIndexTests.Create(kind, 32);
        var all = new List<IndexedChunk>();
        for (var d = 0; d < 30; d++)
        {
            var chunks = Enumerable.Range(0, 4).Select(c => new IndexedChunk($"d{d}#{c}", $"d{d}", c, "", "", VectorIndexTests.RandomUnitVector(random))).ToArray();
            index.Upsert($"d{d}", chunks);
            all.AddRange(chunks);
        }

        await VectorIndexTests.ReadyAsync(index);
        var query = VectorIndexTests.RandomUnitVector(random);
        var perDocument = index.Search(query, 10, perDocument: true);
        var expected = VectorIndexTests.BruteForce(all, query, all.Count).DistinctBy(e => e.ChunkId.Split('#')[0]).Take(10).Select(e => e.ChunkId);
        Assert.Equal(expected, perDocument.Select(h => h.ChunkId));
        Assert.Equal(10, perDocument.Select(h => h.DocumentId).Distinct().Count());
    }

    [Fact]
    public void Metrics_match_hand_computed_values()
    {
        var qrels = new Dictionary<string, IReadOnlyDictionary<string, int>>
        {
            ["q1"] = new Dictionary<string, int> { ["d1"] = 1, ["d3"] = 1 },
            ["q2"] = new Dictionary<string, int> { ["d9"] = 1 },
        };
        var rankings = new Dictionary<string, IReadOnlyList<string>>
        {
            ["q1"] = ["d3", "d2", "d1"],
            ["q2"] = ["d5"],
        };
        var scores = RetrievalMetrics.Score(qrels, rankings);
        var ndcgQ1 = (1 + 1 / Math.Log2(4)) / (1 + 1 / Math.Log2(3));
        Assert.Equal((ndcgQ1 + 0) / 2, scores.NdcgAt10, 10);
        Assert.Equal((1.0 + 0) / 2, scores.RecallAt10, 10);
        Assert.Equal((1.0 + 0) / 2, scores.MrrAt10, 10);
        Assert.Equal(2, scores.Queries);
    }
}
