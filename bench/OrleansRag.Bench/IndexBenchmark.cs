using System.Diagnostics;
using System.Numerics.Tensors;
using Cloud.Unum.USearch;
using Microsoft.Extensions.DependencyInjection;
using OrleansRag.Embedding;
using OrleansRag.Retrieval;

namespace OrleansRag.Bench;

/// <summary>
/// The shard's vector index kinds on real embeddings: SciFact nDCG@10 per kind, then at 100k and 1M rows latency
/// p50/p95, recall@10 against exact fp32, memory per chunk and build (= reactivation) time, with USearch used
/// directly (the peer) in the same run, and the machine's memory bandwidth. Prints figures; asserts nothing.
/// </summary>
internal static class IndexBenchmark
{
    private const int K = 10;

    public static async Task RunAsync(string[] args)
    {
        var sizes = (BenchArgs.String(args, "--sizes") ?? "100000,1000000").Split(',').Select(int.Parse).ToArray();
        var queryCount = BenchArgs.Int(args, "--queries", 300);
        var hnswMax = BenchArgs.Int(args, "--hnsw-max", 1_000_000);
        var cache = BenchArgs.String(args, "--cache") ?? Path.Combine(Directory.GetCurrentDirectory(), "bench", ".cache");

        var (corpusIds, corpus, queryIds, queries) = await RealEmbeddingsAsync(cache);
        Console.WriteLine($"OrleansRag index benchmark: {Environment.ProcessorCount} cores, AVX-512BW {System.Runtime.Intrinsics.X86.Avx512BW.IsSupported}, {corpus.Length} SciFact abstracts and {queries.Length} claims embedded by the bundled all-MiniLM-L6-v2 ({corpus[0].Length} dimensions)");

        await SciFactQualityAsync(corpusIds, corpus, queryIds, queries);

        var bandwidth = MemoryBandwidth();
        Console.WriteLine($"memory bandwidth (one thread, sequential fp32 sum of 1 GiB, best of 5): {bandwidth:F1} GB/s");

        var testQueries = queries.Take(queryCount).ToArray();
        foreach (var size in sizes)
        {
            await ScaleAsync(size, corpus, testQueries, bandwidth, size <= hnswMax);
        }
    }

    /// <summary>The SciFact corpus (title + abstract) and every claim, embedded once and cached in <paramref name="cache"/>.</summary>
    private static async Task<(string[] CorpusIds, float[][] Corpus, string[] QueryIds, float[][] Queries)> RealEmbeddingsAsync(string cache)
    {
        var documents = SciFact.Documents(int.MaxValue);
        var claims = SciFact.QueriesWithIds(int.MaxValue);
        var file = Path.Combine(cache, "scifact-all-MiniLM-L6-v2.bin");
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(cache);
            Console.WriteLine($"embedding {documents.Count} abstracts and {claims.Count} claims once (cached in {file}) ...");
            var app = BenchHost.Build(new Dictionary<string, string?> { ["Embedding:Quantized"] = "false" }); // the fp32 model's vectors, as the cache file says
            await app.StartAsync();
            var embeddings = app.Services.GetRequiredService<EmbeddingService>();
            var watch = Stopwatch.StartNew();
            var corpusVectors = new float[documents.Count][];
            await Parallel.ForEachAsync(Enumerable.Range(0, documents.Count).Chunk(16), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, token) =>
            {
                var result = await embeddings.EmbedAsync([.. batch.Select(i => documents[i].Title + " " + documents[i].Text)], EmbeddingKind.Document, token);
                for (var j = 0; j < batch.Length; j++)
                {
                    corpusVectors[batch[j]] = result.Vectors[j];
                }
            });
            var claimVectors = (await embeddings.EmbedAsync([.. claims.Select(c => c.Text)], EmbeddingKind.Query)).Vectors;
            Console.WriteLine($"embedded in {watch.Elapsed.TotalSeconds:F0} s");
            await app.StopAsync();

            await using var output = new BinaryWriter(File.Create(file));
            foreach (var vector in corpusVectors.Concat(claimVectors))
            {
                foreach (var value in vector)
                {
                    output.Write(value);
                }
            }
        }

        const int Dimensions = 384;
        using var input = new BinaryReader(File.OpenRead(file));
        float[] Read()
        {
            var vector = new float[Dimensions];
            for (var d = 0; d < Dimensions; d++)
            {
                vector[d] = input.ReadSingle();
            }

            return vector;
        }

        var corpus = documents.Select(_ => Read()).ToArray();
        var queries = claims.Select(_ => Read()).ToArray();
        return ([.. documents.Select(d => d.Id)], corpus, [.. claims.Select(c => c.Id)], queries);
    }

    private static async Task SciFactQualityAsync(string[] corpusIds, float[][] corpus, string[] queryIds, float[][] queries)
    {
        var relevant = SciFact.RelevantIn("test.tsv");
        var tested = Enumerable.Range(0, queryIds.Length).Where(i => relevant.ContainsKey(queryIds[i])).ToArray();
        foreach (var kind in new[] { "fp32", "int8", "hnsw" })
        {
            using var index = Create(kind, corpus[0].Length);
            for (var i = 0; i < corpus.Length; i++)
            {
                index.Upsert(corpusIds[i], [new IndexedChunk(corpusIds[i] + "#0", corpusIds[i], 0, "", "", corpus[i])]);
            }

            if (index is HnswVectorIndex graph)
            {
                await graph.BuildAsync();
            }

            var ndcg = tested.Average(q => Ndcg(index.Search(queries[q], K).Select(h => h.DocumentId).ToList(), relevant[queryIds[q]]));
            Console.WriteLine($"scifact dense nDCG@10, {kind,-4} index: {ndcg:F4} ({tested.Length} test claims, {corpus.Length} abstracts)");
        }
    }

    /// <summary>
    /// Every index kind (and the peer) over the same <paramref name="size"/> rows, all held at once and timed in turn,
    /// block by block (<see cref="Contest"/>), so a noisy neighbour on a shared machine slows every contender alike and
    /// the ratios hold even when the absolute figures drift.
    /// </summary>
    private static async Task ScaleAsync(int size, float[][] corpus, float[][] queries, double bandwidth, bool withGraph)
    {
        var vectors = Derive(corpus, size);
        Console.WriteLine($"--- {size:N0} rows: the {Math.Min(size, corpus.Length):N0} SciFact abstract vectors, the rest derived from them (normalised sum of two random abstracts plus noise) ---");
        var dimensions = vectors[0].Length;
        var contenders = new List<Contender>();
        var owned = new List<IDisposable>();
        try
        {
            foreach (var kind in withGraph ? new[] { "fp32", "int8", "hnsw" } : ["fp32", "int8"])
            {
                var index = await LoadAsync(kind, size, vectors);
                owned.Add(index);
                var scanned = kind switch { "fp32" => size * dimensions * 4.0, "int8" => size * (dimensions + 4.0), _ => 0 };
                if (index is HnswVectorIndex graph)
                {
                    foreach (var factor in new[] { 4, 8, 16 })
                    {
                        contenders.Add(new($"hnsw ({factor * K} candidates re-scored)", 0, q =>
                        {
                            graph.RescoreFactor = factor;
                            return [.. graph.Search(q, K).Select(h => h.ChunkId)];
                        }));
                    }
                }
                else
                {
                    contenders.Add(new(kind, scanned, q => [.. index.Search(q, K).Select(h => h.ChunkId)]));
                }
            }

            if (withGraph)
            {
                contenders.AddRange(Peers(size, vectors, owned));
            }

            var truth = queries.Select(contenders[0].Search).ToArray(); // fp32 is exact
            Contest(contenders, queries, truth, bandwidth);
        }
        finally
        {
            owned.ForEach(item => item.Dispose());
        }
    }

    /// <summary>One index kind loaded with the rows (and its graph built); prints its memory and load/build times.</summary>
    private static async Task<IVectorIndex> LoadAsync(string kind, int size, float[][] vectors)
    {
        var before = Settle();
        var watch = Stopwatch.StartNew();
        var index = Create(kind, vectors[0].Length);
        for (var i = 0; i < size; i++)
        {
            index.Upsert($"d{i}", [new IndexedChunk($"c{i}", $"d{i}", 0, "", "", vectors[i])]);
        }

        var loadSeconds = watch.Elapsed.TotalSeconds;
        watch.Restart();
        if (index is HnswVectorIndex graph)
        {
            await graph.BuildAsync();
        }

        var buildSeconds = watch.Elapsed.TotalSeconds;
        var memory = Settle() - before;
        Console.WriteLine($"{kind}: vectors {index.VectorBytes / (double)size:F0} B/chunk (index's own count), process heap +{memory / (double)size:F0} B/chunk (the graph's native memory not included); rows (and codes) loaded in {loadSeconds:F1} s{(buildSeconds > 0.001 ? $", graph built in {buildSeconds:F1} s (background thread; the exact scan answers meanwhile)" : "")}");
        return index;
    }

    private static void Contest(List<Contender> contenders, float[][] queries, List<string>[] truth, double bandwidth)
    {
        foreach (var contender in contenders)
        {
            foreach (var query in queries.Take(10))
            {
                contender.Search(query); // warm-up
            }
        }

        // Blocks of queries, each contender in turn (in a shuffled order per block), each first warmed by as many queries
        // of another block: every contender is timed with its own data in the caches, as a shard answering a stream of
        // queries would be, while a slow spell of the machine falls on all of them.
        const int Block = 20;
        const int Warm = Block;
        var order = Enumerable.Range(0, contenders.Count).ToArray();
        var shuffle = new Random(15);
        var latencies = contenders.Select(_ => new double[queries.Length]).ToArray();
        var results = contenders.Select(_ => new List<string>[queries.Length]).ToArray();
        for (var start = 0; start < queries.Length; start += Block)
        {
            var end = Math.Min(queries.Length, start + Block);
            shuffle.Shuffle(order);
            foreach (var c in order)
            {
                for (var w = 0; w < Warm; w++)
                {
                    contenders[c].Search(queries[(end + w) % queries.Length]);
                }

                for (var q = start; q < end; q++)
                {
                    var one = Stopwatch.GetTimestamp();
                    results[c][q] = contenders[c].Search(queries[q]);
                    latencies[c][q] = Stopwatch.GetElapsedTime(one).TotalMilliseconds;
                }
            }
        }

        var medians = new double[contenders.Count];
        for (var c = 0; c < contenders.Count; c++)
        {
            Array.Sort(latencies[c]);
            var p50 = medians[c] = Percentiles.Of(latencies[c], 50);
            var scanned = contenders[c].ScannedBytes;
            var rate = scanned > 0 ? $", {scanned / (p50 / 1000) / 1e9:F1} GB/s scanned = {scanned / (p50 / 1000) / 1e9 / bandwidth * 100:F0}% of bandwidth" : "";
            Console.WriteLine($"{contenders[c].Label}: top-10 p50 {p50:F2} ms, p95 {Percentiles.Of(latencies[c], 95):F2} ms, recall@10 {Recall(results[c], truth):F4}{rate}");
        }

        Console.WriteLine($"int8 against fp32 (p50, same run, interleaved): {medians[0] / medians[1]:F1}x faster");
    }

    /// <summary>
    /// USearch used directly on the same vectors with the same graph settings (int8 codes under one scale, inner
    /// product, as the shard's graph holds them) and as a user feeding it floats would (bfloat16, inner product): its own ranking
    /// (no re-scoring), fetching 10 and 40.
    /// </summary>
    private static List<Contender> Peers(int size, float[][] vectors, List<IDisposable> owned)
    {
        var codesPerUnit = vectors[..size].Min(vector => Int8Vectors.CodesPerUnit(vector)); // the largest component of all at ±127
        sbyte[] Codes(float[] vector) => Int8Vectors.Quantize(vector, codesPerUnit);

        const int Connectivity = HnswVectorIndex.Connectivity;
        var keys = Enumerable.Range(0, size).Select(i => (ulong)i).ToArray();
        var contenders = new List<Contender>();
        foreach (var (scalar, metric) in new[] { (ScalarKind.Int8, MetricKind.Ip), (ScalarKind.BFloat16, MetricKind.Ip) })
        {
            var codes = scalar == ScalarKind.Int8;
            var watch = Stopwatch.StartNew();
            var peer = new USearchIndex(metric, scalar, (ulong)vectors[0].Length, Connectivity, HnswVectorIndex.ExpansionAdd, HnswVectorIndex.ExpansionSearch);
            owned.Add(peer);
            if (codes)
            {
                peer.Add(keys, vectors[..size].Select(Codes).ToArray());
            }
            else
            {
                peer.Add(keys, vectors[..size]);
            }

            var input = codes ? "int8 codes under one scale, inner product: the shard's settings" : "fp32 in, bfloat16, inner product";
            Console.WriteLine($"peer, USearch directly ({input}): built in {watch.Elapsed.TotalSeconds:F1} s");
            foreach (var fetch in new[] { K, 4 * K })
            {
                contenders.Add(new($"peer, USearch directly ({input}, M {Connectivity}, ef_add {HnswVectorIndex.ExpansionAdd}, ef {Math.Max(fetch, HnswVectorIndex.ExpansionSearch)}, its own top 10 of {fetch} fetched)", 0, query =>
                {
                    ulong[] found;
                    if (codes)
                    {
                        peer.Search(Codes(query), fetch, out found, out _);
                    }
                    else
                    {
                        peer.Search(query, fetch, out found, out _);
                    }

                    return [.. found.Take(K).Select(key => $"c{key}")];
                }));
            }
        }

        return contenders;
    }

    private static IVectorIndex Create(string kind, int dimensions) => kind switch
    {
        "fp32" => new Fp32VectorIndex(dimensions),
        "int8" => new Int8VectorIndex(dimensions),
        _ => new HnswVectorIndex(new Int8VectorIndex(dimensions), threshold: 0),
    };

    /// <summary>
    /// <paramref name="size"/> unit vectors: the real ones first, then each further one the normalised sum of two random
    /// real vectors plus Gaussian noise, so the set keeps the real vectors' anisotropy and neighbourhoods at any size.
    /// </summary>
    private static float[][] Derive(float[][] real, int size)
    {
        var random = new Random(20261203);
        var dimensions = real[0].Length;
        var result = new float[size][];
        for (var i = 0; i < size; i++)
        {
            if (i < real.Length)
            {
                result[i] = real[i];
                continue;
            }

            var vector = new float[dimensions];
            var a = real[random.Next(real.Length)];
            var b = real[random.Next(real.Length)];
            var weight = (float)random.NextDouble();
            for (var d = 0; d < dimensions; d++)
            {
                vector[d] = a[d] + (weight * b[d]) + (0.05f * (float)Gaussian(random));
            }

            TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
            result[i] = vector;
        }

        return result;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static double Recall(List<string>[] results, List<string>[] truth) =>
        Enumerable.Range(0, results.Length).Average(q => results[q].Intersect(truth[q]).Count() / (double)truth[q].Count);

    internal static double Ndcg(List<string> ranked, HashSet<string> relevant)
    {
        var dcg = ranked.Take(K).Select((id, rank) => relevant.Contains(id) ? 1 / Math.Log2(rank + 2) : 0).Sum();
        var ideal = Enumerable.Range(0, Math.Min(K, relevant.Count)).Sum(rank => 1 / Math.Log2(rank + 2));
        return dcg / ideal;
    }

    private static double MemoryBandwidth()
    {
        var data = new float[256 * 1024 * 1024];
        data.AsSpan().Fill(1);
        var best = 0.0;
        for (var i = 0; i < 5; i++)
        {
            var watch = Stopwatch.StartNew();
            var sum = TensorPrimitives.Sum(data);
            var seconds = watch.Elapsed.TotalSeconds;
            if (sum > 0)
            {
                best = Math.Max(best, data.Length * 4.0 / seconds / 1e9);
            }
        }

        return best;
    }

    private static long Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>One index (or setting) timed in <see cref="Contest"/>: its label, the bytes one query scans (0: not a scan) and its search.</summary>
    private sealed record Contender(string Label, double ScannedBytes, Func<float[], List<string>> Search);
}
