using System.Numerics.Tensors;
using OrleansRag.Retrieval;

namespace OrleansRag.Tests.Engines;

public sealed class VectorIndexTests
{
    private const int Dimensions = 32;

    internal static float[] RandomUnitVector(Random random, int dimensions = Dimensions)
    {
        var vector = new float[dimensions];
        for (var i = 0; i < dimensions; i++)
        {
            vector[i] = (float)(random.NextDouble() * 2 - 1);
        }

        TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
        return vector;
    }

    private static IndexedChunk[] Document(Random random, string id, int chunks) =>
        [.. Enumerable.Range(0, chunks).Select(i => new IndexedChunk($"{id}#{i}", id, i, id, $"text {id} {i}", RandomUnitVector(random)))];

    /// <summary>Reference: score every chunk in double precision and sort.</summary>
    internal static List<(string ChunkId, double Score)> BruteForce(IEnumerable<IndexedChunk> chunks, float[] query, int k) =>
        chunks.Select(c => (c.ChunkId, Score: c.Vector.Zip(query, (a, b) => (double)a * b).Sum()))
            .OrderByDescending(x => x.Score).ThenBy(x => x.ChunkId, StringComparer.Ordinal).Take(k).ToList();

    [Fact]
    public void Search_equals_brute_force_after_upserts_replacements_and_removals()
    {
        var random = new Random(42);
        var index = new VectorIndex(Dimensions);
        var live = new Dictionary<string, IndexedChunk[]>();
        for (var d = 0; d < 300; d++)
        {
            var id = $"doc-{d}";
            live[id] = Document(random, id, 1 + random.Next(5));
            index.Upsert(id, live[id]);
        }

        for (var d = 0; d < 300; d += 3)
        {
            index.Remove($"doc-{d}");
            live.Remove($"doc-{d}");
        }

        for (var d = 1; d < 300; d += 7)
        {
            var id = $"doc-{d}";
            live[id] = Document(random, id, 1 + random.Next(5));
            index.Upsert(id, live[id]);
        }

        Assert.Equal(live.Values.Sum(c => c.Length), index.Count);
        for (var q = 0; q < 25; q++)
        {
            var query = RandomUnitVector(random);
            var expected = BruteForce(live.Values.SelectMany(c => c), query, 10);
            var actual = index.Search(query, 10);
            Assert.Equal(expected.Select(e => e.ChunkId), actual.Select(a => a.ChunkId));
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.True(Math.Abs(expected[i].Score - actual[i].Score) < 1e-5, $"{expected[i].Score} vs {actual[i].Score}");
            }
        }
    }

    [Fact]
    public void Merging_shard_results_gives_the_global_top_k()
    {
        var random = new Random(7);
        var shards = Enumerable.Range(0, 4).Select(_ => new VectorIndex(Dimensions)).ToArray();
        var all = new List<IndexedChunk>();
        for (var d = 0; d < 200; d++)
        {
            var chunks = Document(random, $"d{d}", 3);
            shards[ShardRouter.ShardFor($"d{d}", shards.Length)].Upsert($"d{d}", chunks);
            all.AddRange(chunks);
        }

        var query = RandomUnitVector(random);
        var merged = SearchHits.TopK(shards.SelectMany(s => s.Search(query, 15)), 15, perDocument: false);
        Assert.Equal(BruteForce(all, query, 15).Select(e => e.ChunkId), merged.Select(m => m.ChunkId));
    }

    [Fact]
    public void Removing_a_document_removes_all_its_chunks_and_nothing_else()
    {
        var random = new Random(3);
        var index = new VectorIndex(Dimensions);
        index.Upsert("a", Document(random, "a", 4));
        index.Upsert("b", Document(random, "b", 2));
        Assert.True(index.Remove("a"));
        Assert.False(index.Remove("a"));
        Assert.Equal(2, index.Count);
        Assert.All(index.Search(RandomUnitVector(random), 10), hit => Assert.Equal("b", hit.DocumentId));
    }

    [Fact]
    public void Wrong_dimensions_are_rejected()
    {
        var index = new VectorIndex(Dimensions);
        Assert.Throws<ArgumentException>(() => index.Search(new float[Dimensions + 1], 3));
        Assert.Throws<ArgumentException>(() => index.Upsert("x", [new IndexedChunk("x#0", "x", 0, "", "", new float[3])]));
    }

    [Fact]
    public void Shard_router_is_stable_and_spreads_documents()
    {
        Assert.Equal(ShardRouter.ShardFor("document-42", 8), ShardRouter.ShardFor("document-42", 8));
        var counts = Enumerable.Range(0, 8000).GroupBy(i => ShardRouter.ShardFor($"doc-{i}", 8)).Select(g => g.Count()).ToList();
        Assert.Equal(8, counts.Count);
        Assert.All(counts, c => Assert.InRange(c, 850, 1150));
    }
}
