using System.Numerics.Tensors;
using OrleansRag.Retrieval;

namespace OrleansRag.Tests.Engines;

[Trait("Category", "Unit")]
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

    /// <summary>Every index kind: the exact scans, and the graph over each of them with threshold 0 (so it answers from the first row).</summary>
    public static TheoryData<string> Kinds => ["fp32", "int8", "hnsw-fp32", "hnsw-int8"];

    /// <summary>The kinds that scan every row (the graph is approximate: it has its own recall test below).</summary>
    public static TheoryData<string> ExactKinds => ["fp32", "int8"];

    internal static IVectorIndex Create(string kind, int dimensions = Dimensions) => kind switch
    {
        "fp32" => new Fp32VectorIndex(dimensions),
        "int8" => new Int8VectorIndex(dimensions),
        "hnsw-fp32" => new HnswVectorIndex(new Fp32VectorIndex(dimensions), threshold: 0),
        "hnsw-int8" => new HnswVectorIndex(new Int8VectorIndex(dimensions), threshold: 0),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Waits for the graph of an HNSW kind (built in the background) so that its searches use it.</summary>
    internal static async Task ReadyAsync(params IVectorIndex[] indexes)
    {
        foreach (var graph in indexes.OfType<HnswVectorIndex>())
        {
            await graph.BuildAsync();
            Assert.True(graph.IsBuilt || graph.Count == 0);
        }
    }

    /// <summary>Reference: score every chunk in double precision and sort.</summary>
    internal static List<(string ChunkId, double Score)> BruteForce(IEnumerable<IndexedChunk> chunks, float[] query, int k) =>
        chunks.Select(c => (c.ChunkId, Score: c.Vector.Zip(query, (a, b) => (double)a * b).Sum()))
            .OrderByDescending(x => x.Score).ThenBy(x => x.ChunkId, StringComparer.Ordinal).Take(k).ToList();

    [Theory]
    [MemberData(nameof(ExactKinds))]
    public void Search_equals_brute_force_after_upserts_replacements_and_removals(string kind)
    {
        var random = new Random(42);
        using var index = Create(kind);
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

    [Theory]
    [MemberData(nameof(ExactKinds))]
    public void Equal_scores_in_different_blocks_of_the_scan_come_back_by_chunk_id(string kind)
    {
        // 1,000 rows (the scan works in blocks of a few hundred); ten share one vector, inserted in descending id order,
        // so the smallest ids sit in the last rows and each must displace an equal score already in the heap.
        var random = new Random(7);
        var shared = RandomUnitVector(random);
        using var index = Create(kind);
        for (var d = 0; d < 1_000; d++)
        {
            var id = d % 100 == 0 ? $"tie-{999 - d:D3}" : $"doc-{d:D3}";
            var vector = d % 100 == 0 ? shared : RandomUnitVector(random);
            index.Upsert(id, [new IndexedChunk($"{id}#0", id, 0, id, "", vector)]);
        }

        var ties = Enumerable.Range(0, 10).Select(i => $"tie-{999 - (i * 100):D3}#0").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(ties.Take(4), index.Search(shared, 4).Select(hit => hit.ChunkId));
        Assert.Equal(ties, index.Search(shared, 10).Select(hit => hit.ChunkId));
    }

    [Theory]
    [MemberData(nameof(ExactKinds))]
    public void Merging_shard_results_gives_the_global_top_k(string kind)
    {
        var random = new Random(7);
        var shards = Enumerable.Range(0, 4).Select(_ => Create(kind)).ToArray();
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

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Removing_a_document_removes_all_its_chunks_and_nothing_else(string kind)
    {
        var random = new Random(3);
        using var index = Create(kind);
        index.Upsert("a", Document(random, "a", 4));
        index.Upsert("b", Document(random, "b", 2));
        await ReadyAsync(index);
        Assert.True(index.Remove("a"));
        Assert.False(index.Remove("a"));
        Assert.Equal(2, index.Count);
        Assert.All(index.Search(RandomUnitVector(random), 10), hit => Assert.Equal("b", hit.DocumentId));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Wrong_dimensions_are_rejected(string kind)
    {
        using var index = Create(kind);
        Assert.Throws<ArgumentException>(() => index.Search(new float[Dimensions + 1], 3));
        Assert.Throws<ArgumentException>(() => index.Upsert("x", [new IndexedChunk("x#0", "x", 0, "", "", new float[3])]));
    }

    /// <summary>
    /// Unit vectors around 40 random centres, like real embeddings cluster by topic (uniform random vectors, and queries
    /// from nowhere near the data, are no test of a graph): <c>Clustered(random, dims)(count)</c>.
    /// </summary>
    private static Func<int, float[][]> Clustered(Random random, int dimensions)
    {
        var centres = Enumerable.Range(0, 40).Select(_ => RandomUnitVector(random, dimensions)).ToArray();
        return count => [.. Enumerable.Range(0, count).Select(_ =>
        {
            var noise = RandomUnitVector(random, dimensions);
            var centre = centres[random.Next(centres.Length)];
            var vector = centre.Zip(noise, (c, n) => c + (0.4f * n)).ToArray();
            TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
            return vector;
        })];
    }

    [Fact]
    public async Task The_graph_is_built_in_the_background_finds_nearly_every_exact_neighbour_and_follows_every_change()
    {
        const int Dims = 64;
        var random = new Random(11);
        var clustered = Clustered(random, Dims);
        var vectors = clustered(12_000);
        using var graph = new HnswVectorIndex(new Int8VectorIndex(Dims), threshold: 1_000);
        var live = new Dictionary<string, IndexedChunk[]>();
        for (var d = 0; d < 4_000; d++)
        {
            var id = $"doc-{d}";
            live[id] = [.. Enumerable.Range(0, 3).Select(c => new IndexedChunk($"{id}#{c}", id, c, id, "", vectors[(d * 3) + c]))];
            graph.Upsert(id, live[id]);
        }

        Assert.Equal(VectorIndexKind.Hnsw, graph.Kind);
        Assert.False(graph.IsBuilt);
        graph.Prepare();
        Assert.True(graph.IsBuilding || graph.IsBuilt);

        // Changes while the graph is built (on its own thread, from a copy) and after: removed documents never come
        // back, replaced ones answer with their new vectors.
        void Change(int from)
        {
            for (var d = from; d < 4_000; d += 50)
            {
                graph.Remove($"doc-{d}");
                live.Remove($"doc-{d}");
            }

            for (var d = from + 1; d < 4_000; d += 50)
            {
                var id = $"doc-{d}";
                live[id] = [.. Enumerable.Range(0, 2).Select(c => new IndexedChunk($"{id}#{c}", id, c, id, "", clustered(1)[0]))];
                graph.Upsert(id, live[id]);
            }
        }

        Change(0);
        await graph.BuildAsync();
        Assert.True(graph.IsBuilt);
        Change(2);

        var all = live.Values.SelectMany(c => c).ToList();
        var exact = all.ToDictionary(c => c.ChunkId);
        Assert.Equal(all.Count, graph.Count);
        var recalls = new List<double>();
        for (var q = 0; q < 50; q++)
        {
            var query = clustered(1)[0];
            var expected = BruteForce(all, query, 10);
            var actual = graph.Search(query, 10);
            Assert.Equal(10, actual.Length);
            Assert.All(actual, hit => Assert.True(live.ContainsKey(hit.DocumentId), $"{hit.DocumentId} was removed"));
            Assert.All(actual, hit => Assert.Equal(TensorPrimitives.Dot(exact[hit.ChunkId].Vector, query), hit.Score, 4));
            Assert.Equal(actual.OrderByDescending(h => h.Score).Select(h => h.ChunkId), actual.Select(h => h.ChunkId));
            recalls.Add(expected.Select(e => e.ChunkId).Intersect(actual.Select(a => a.ChunkId)).Count() / 10.0);

            var perDocument = graph.Search(query, 10, perDocument: true);
            Assert.Equal(perDocument.Length, perDocument.Select(h => h.DocumentId).Distinct().Count());
        }

        Assert.True(recalls.Average() >= 0.95, $"recall@10 {recalls.Average():F3}");

        // Documents replaced during the build and after it are found by their new vectors, through the graph.
        Assert.Equal("doc-1", graph.Search(live["doc-1"][0].Vector, 1)[0].DocumentId);
        Assert.Equal("doc-3", graph.Search(live["doc-3"][0].Vector, 1)[0].DocumentId);
    }

    [Fact]
    public async Task A_filter_on_a_graph_returns_the_exact_matches()
    {
        const int Dims = 64;
        var random = new Random(5);
        var clustered = Clustered(random, Dims);
        var vectors = clustered(5_000);
        using var graph = new HnswVectorIndex(new Int8VectorIndex(Dims), threshold: 0);
        var chunks = vectors.Select((v, i) => new IndexedChunk($"d{i}#0", $"d{i}", 0, "", "", v)).ToList();
        foreach (var chunk in chunks)
        {
            graph.Upsert(chunk.DocumentId, [chunk]);
        }

        await graph.BuildAsync();
        for (var q = 0; q < 20; q++)
        {
            var query = clustered(1)[0];
            var share = q % 2 == 0 ? 100 : 3; // about 1 % of the documents, or a third
            var allowed = new HashSet<string>(chunks.Where(_ => random.Next(share) == 0).Select(c => c.DocumentId));
            var expected = BruteForce(chunks.Where(c => allowed.Contains(c.DocumentId)), query, 10).Select(e => e.ChunkId);
            var actual = graph.Search(query, 10, perDocument: true, allowed.Contains);
            Assert.Equal(expected, actual.Select(a => a.ChunkId));
        }
    }

    [Fact]
    public async Task A_persisted_graph_is_loaded_and_reconciled_with_the_rows_at_the_next_activation()
    {
        const int Dims = 64;
        var random = new Random(21);
        var clustered = Clustered(random, Dims);
        var cache = Path.Combine(Path.GetTempPath(), $"orleansrag-graph-{Guid.NewGuid():N}", "shard");
        try
        {
            var live = Enumerable.Range(0, 3_000).ToDictionary(d => $"d{d}", d => new IndexedChunk($"d{d}#0", $"d{d}", 0, "", "", clustered(1)[0]));
            using (var first = new HnswVectorIndex(new Int8VectorIndex(Dims), threshold: 0) { CachePath = cache })
            {
                foreach (var chunk in live.Values)
                {
                    first.Upsert(chunk.DocumentId, [chunk]);
                }

                await first.BuildAsync(); // a finished build is persisted
                Assert.False(first.LoadedFromCache);
            }

            // The next activation loads its rows in another order, and the store changed meanwhile.
            for (var d = 0; d < 3_000; d += 100)
            {
                live.Remove($"d{d}");
            }

            live["d1"] = live["d1"] with { Vector = clustered(1)[0] };
            for (var d = 3_000; d < 3_050; d++)
            {
                live[$"d{d}"] = new IndexedChunk($"d{d}#0", $"d{d}", 0, "", "", clustered(1)[0]);
            }

            using var second = new HnswVectorIndex(new Int8VectorIndex(Dims), threshold: 0) { CachePath = cache };
            foreach (var chunk in live.Values.OrderBy(c => c.ChunkId.GetHashCode(StringComparison.Ordinal)))
            {
                second.Upsert(chunk.DocumentId, [chunk]);
            }

            second.Prepare();
            Assert.True(second.IsBuilt && second.LoadedFromCache && !second.IsBuilding);
            Assert.Equal("d1", second.Search(live["d1"].Vector, 1)[0].DocumentId);
            Assert.Equal("d3010", second.Search(live["d3010"].Vector, 1)[0].DocumentId);
            var all = live.Values.ToList();
            var recalls = new List<double>();
            for (var q = 0; q < 30; q++)
            {
                var query = clustered(1)[0];
                var actual = second.Search(query, 10);
                Assert.All(actual, hit => Assert.True(live.ContainsKey(hit.DocumentId), $"{hit.DocumentId} was removed"));
                recalls.Add(BruteForce(all, query, 10).Select(e => e.ChunkId).Intersect(actual.Select(a => a.ChunkId)).Count() / 10.0);
            }

            Assert.True(recalls.Average() >= 0.95, $"recall@10 {recalls.Average():F3}");

            // A damaged cache is not trusted: the graph is built again.
            await File.WriteAllBytesAsync(cache + ".keys", [1, 2, 3]);
            using var third = new HnswVectorIndex(new Int8VectorIndex(Dims), threshold: 0) { CachePath = cache };
            foreach (var chunk in live.Values)
            {
                third.Upsert(chunk.DocumentId, [chunk]);
            }

            third.Prepare();
            Assert.False(third.LoadedFromCache);
            await third.BuildAsync();
            Assert.True(third.IsBuilt);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(cache)!, recursive: true);
        }
    }

    [Fact]
    public void A_shard_index_switches_to_the_graph_at_its_threshold()
    {
        var options = new RetrievalOptions { HnswThreshold = 50 };
        using var index = options.CreateIndex(Dimensions);
        var random = new Random(9);
        for (var d = 0; d < 49; d++)
        {
            index.Upsert($"d{d}", Document(random, $"d{d}", 1));
        }

        Assert.Equal(VectorIndexKind.Int8, index.Kind);
        index.Upsert("d49", Document(random, "d49", 1));
        Assert.Equal(VectorIndexKind.Hnsw, index.Kind);
        Assert.Equal(VectorIndexKind.Fp32, new RetrievalOptions { VectorIndex = VectorIndexKind.Fp32, HnswThreshold = 0 }.CreateIndex(Dimensions).Kind);
    }

    [Fact]
    public void Int8_codes_give_the_exact_integer_dot_product_at_every_length()
    {
        var random = new Random(1);
        foreach (var length in new[] { 1, 15, 16, 17, 31, 32, 33, 64, 100, 384, 768 })
        {
            var a = Enumerable.Range(0, length).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
            var b = Enumerable.Range(0, length).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
            Assert.Equal(a.Zip(b, (x, y) => x * y).Sum(), Int8Vectors.Dot(a, b));
        }

        // The whole-index pass (four rows at a time with AVX-VNNI, then the rest) gives each row's own product times its scale.
        const int Rows = 9;
        var all = Enumerable.Range(0, Rows * 384).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        var scales = Enumerable.Range(0, Rows).Select(_ => (float)random.NextDouble()).ToArray();
        var query = Enumerable.Range(0, 384).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        var scores = new float[Rows];
        var sums = Enumerable.Range(0, Rows).Select(row => Int8Vectors.Sum(all.AsSpan(row * 384, 384))).ToArray();
        Int8Vectors.ScoreAll(all, scales, sums, query, scores);
        for (var row = 0; row < Rows; row++)
        {
            Assert.Equal(Int8Vectors.Dot(all.AsSpan(row * 384, 384), query) * scales[row], scores[row]);
        }

        // Codes under one scale shared by many vectors: the largest component of all at ±127, a larger one clamped.
        var many = new[] { RandomUnitVector(random, 64), RandomUnitVector(random, 64) };
        var codesPerUnit = many.Min(v => Int8Vectors.CodesPerUnit(v));
        Assert.Equal(127, many.Max(v => Int8Vectors.Quantize(v, codesPerUnit).Max(c => Math.Abs((int)c))));
        Assert.Equal([127, -127, 0], Int8Vectors.Quantize([2f, -2f, 0f], 127));

        var vector = RandomUnitVector(random, 384);
        var codes = new sbyte[384];
        var scale = Int8Vectors.Quantize(vector, codes);
        Assert.Equal(127, codes.Max(c => Math.Abs((int)c)));
        Assert.All(Enumerable.Range(0, 384), d => Assert.InRange(vector[d] - (codes[d] * scale), -scale / 2 - 1e-6, scale / 2 + 1e-6));
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
