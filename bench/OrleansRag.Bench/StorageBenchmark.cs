using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.Extensions.DependencyInjection;
using OrleansRag.Client;

namespace OrleansRag.Bench;

/// <summary>
/// Production storage figures: ingest chunks/s with Redis storage against in-memory storage (same documents,
/// same run), and how long a shard of N chunks takes to reactivate from Redis on a fresh silo.
/// </summary>
internal static class StorageBenchmark
{
    private const int Dimensions = 384;
    private const int ChunksPerDocument = 10;

    public static async Task RunAsync(string[] args)
    {
        var redis = BenchArgs.String(args, "--redis") ?? Environment.GetEnvironmentVariable("ORLEANSRAG_TEST_REDIS")
            ?? throw new InvalidOperationException("pass --redis host:port (e.g. a server started by tests/servers.sh)");
        var documents = SciFact.Documents(BenchArgs.Int(args, "--docs", 300));
        var shardChunks = BenchArgs.Int(args, "--shard-chunks", 100_000);
        var serviceId = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var redisSettings = new Dictionary<string, string?>
        {
            ["Cluster:Storage"] = "Redis",
            ["Cluster:RedisConnectionString"] = redis,
            ["Cluster:ServiceId"] = serviceId,
            ["Ingestion:KeepSources"] = "false",
        };
        Console.WriteLine($"OrleansRag storage benchmark: {Environment.ProcessorCount} cores, Redis at {redis}, {documents.Count} SciFact documents, shard of {shardChunks} chunks");

        foreach (var (name, settings) in new[] { ("memory", new Dictionary<string, string?>()), ("redis", redisSettings) })
        {
            var app = BenchHost.Build(settings);
            await app.StartAsync();
            var rag = BenchHost.Client(app);
            await rag.IngestAsync("warmup", "w", new DocumentInput("Warm-up document.", "w"));
            var watch = Stopwatch.StartNew();
            var chunks = await SciFact.IngestAsync(rag, "bench", documents);
            Console.WriteLine($"ingest with {name} storage: {chunks} chunks in {watch.Elapsed.TotalSeconds:F1} s = {chunks / watch.Elapsed.TotalSeconds:F1} chunks/s");
            await app.StopAsync();
            await app.DisposeAsync();
        }

        // A big shard, written straight into its grain with synthetic unit vectors (embedding 100,000 chunks
        // would take an hour here and is not what this measures).
        var shardKey = GrainKeys.Shard(GrainKeys.Collection("bench", "big"), 0);
        var writer = BenchHost.Build(redisSettings);
        await writer.StartAsync();
        var shard = writer.Services.GetRequiredService<IGrainFactory>().GetGrain<IRetrievalShardGrain>(shardKey);
        var random = new Random(1);
        var write = Stopwatch.StartNew();
        for (var d = 0; d < shardChunks / ChunksPerDocument; d++)
        {
            var id = $"doc-{d:D6}";
            var chunks = Enumerable.Range(0, ChunksPerDocument).Select(c => new IndexedChunk(
                $"{id}#{c}", id, c, $"Document {d}", $"Synthetic chunk {c} of document {d}, about three hundred characters of text. " + new string('x', 240),
                UnitVector(random))).ToArray();
            var summary = new DocumentSummary(id, $"Document {d}", ContentTypes.PlainText, ChunksPerDocument, "", DateTimeOffset.UtcNow);
            await shard.CommitDocumentAsync(new ShardCommit(summary, null, "v1", 0, chunks));
        }

        Console.WriteLine($"shard write: {shardChunks} chunks ({shardChunks / ChunksPerDocument} documents) into one shard in {write.Elapsed.TotalSeconds:F1} s, one HSET per document");
        await writer.StopAsync();
        await writer.DisposeAsync();

        var reader = BenchHost.Build(redisSettings);
        await reader.StartAsync();
        var restored = reader.Services.GetRequiredService<IGrainFactory>().GetGrain<IRetrievalShardGrain>(shardKey);
        var activate = Stopwatch.StartNew();
        var count = (await restored.GetSizeAsync()).Chunks;
        var activation = activate.Elapsed;
        var search = Stopwatch.StartNew();
        await restored.SearchAsync(new ShardQuery(SearchMode.Dense, 10, PerDocument: false, Vector: UnitVector(random)));
        Console.WriteLine($"shard reactivation from Redis on a fresh silo: {count} chunks in {activation.TotalSeconds:F2} s ({count / activation.TotalSeconds:F0} chunks/s); first exact top-10 search over it {search.Elapsed.TotalMilliseconds:F1} ms");
        await reader.StopAsync();
        await reader.DisposeAsync();
    }

    private static float[] UnitVector(Random random)
    {
        var vector = new float[Dimensions];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = (float)(random.NextDouble() * 2 - 1);
        }

        TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
        return vector;
    }
}
