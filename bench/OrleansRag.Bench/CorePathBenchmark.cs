using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using OrleansRag;
using OrleansRag.Client;
using OrleansRag.Embedding;

namespace OrleansRag.Bench;

/// <summary>
/// Throughput and latency of the core RAG path in one process: embedding texts/s, length bucketing, ingest
/// chunks/s and ask latency percentiles. Prints figures; asserts nothing.
/// </summary>
internal static class CorePathBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var options = BenchOptions.Parse(args);
        var documents = SciFact.Documents(options.Documents);
        var questions = SciFact.Queries(options.Questions);

        var app = BenchHost.Build(new Dictionary<string, string?>
        {
            ["Query:AnswerCacheEntries"] = "0", // measure real work, not the cache
        });
        await app.StartAsync();
        var rag = BenchHost.Client(app);
        var embeddings = app.Services.GetRequiredService<EmbeddingService>();
        var model = await embeddings.GetModelAsync();

        Console.WriteLine($"OrleansRag benchmark: {Environment.ProcessorCount} cores, model {model.Name}, {documents.Count} SciFact documents, {questions.Count} questions, ask concurrency {options.Concurrency}");

        // 1. Embedding throughput: the silo's batching service fed by concurrent callers, like grains feed it.
        var texts = documents.Select(d => d.Title + " " + d.Text).Take(1000).ToList();
        await embeddings.EmbedAsync(texts.Take(32).ToList(), EmbeddingKind.Document); // warm-up
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(texts.Chunk(8), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (batch, token) => await embeddings.EmbedAsync(batch, EmbeddingKind.Document, token));
        var embedSeconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine($"embedding: {texts.Count} texts (title + abstract, up to 256 word pieces) in {embedSeconds:F1} s = {texts.Count / embedSeconds:F1} texts/s");

        // 1b. Why batches are bucketed by length: the same mixed texts (short claims and long abstracts, shuffled)
        // in arrival-order batches of 32 padded to their longest text, against the service's length buckets.
        var mixed = questions.Take(128).Concat(texts.Skip(200).Take(128)).OrderBy(t => t.GetHashCode(StringComparison.Ordinal)).ToList();
        var tokenized = mixed.Select(t => model.Tokenize(t, EmbeddingKind.Document)).ToList();
        watch.Restart();
        foreach (var batch in tokenized.Chunk(32))
        {
            model.EmbedBatch(batch);
        }

        var arrivalSeconds = watch.Elapsed.TotalSeconds;
        var padded = tokenized.Chunk(32).Sum(b => b.Max(ids => ids.Length) * b.Length);
        var real = tokenized.Sum(ids => ids.Length);
        watch.Restart();
        await embeddings.EmbedAsync(mixed, EmbeddingKind.Document);
        var bucketSeconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine($"batching: {mixed.Count} mixed texts in arrival-order batches of 32: {mixed.Count / arrivalSeconds:F1} texts/s ({100.0 * (padded - real) / padded:F0}% of token slots are padding); length-bucketed: {mixed.Count / bucketSeconds:F1} texts/s");

        // 2. Ingest through the grains: parse, chunk, embed, persist, index.
        watch.Restart();
        var chunks = await SciFact.IngestAsync(rag, "bench", documents);
        var ingestSeconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine($"ingest: {documents.Count} documents, {chunks} chunks in {ingestSeconds:F1} s = {chunks / ingestSeconds:F1} chunks/s ({documents.Count / ingestSeconds:F1} docs/s)");

        // 3. Ask latency (cache off): embed question, fan out to 8 shards, merge, extractive generation.
        for (var i = 0; i < 10; i++)
        {
            await rag.AskAsync("bench", questions[i % questions.Count]); // warm-up
        }

        var latencies = new double[questions.Count];
        watch.Restart();
        await Parallel.ForEachAsync(Enumerable.Range(0, questions.Count), new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency }, async (i, token) =>
        {
            var one = Stopwatch.StartNew();
            await rag.AskAsync("bench", questions[i], cancellationToken: token);
            latencies[i] = one.Elapsed.TotalMilliseconds;
        });
        var askSeconds = watch.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        Console.WriteLine($"ask: {questions.Count} questions in {askSeconds:F1} s = {questions.Count / askSeconds:F1} questions/s; latency p50 {Percentiles.Of(latencies, 50):F1} ms, p95 {Percentiles.Of(latencies, 95):F1} ms, p99 {Percentiles.Of(latencies, 99):F1} ms, max {latencies[^1]:F1} ms");
        Console.WriteLine($"process: peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1024.0 / 1024:F0} MiB");

        await app.StopAsync();
    }

}

internal sealed record BenchOptions(int Documents, int Questions, int Concurrency)
{
    public static BenchOptions Parse(string[] args) =>
        new(BenchArgs.Int(args, "--docs", 1500), BenchArgs.Int(args, "--questions", 500), BenchArgs.Int(args, "--concurrency", 1));
}
