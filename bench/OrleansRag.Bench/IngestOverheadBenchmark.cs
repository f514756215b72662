using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OrleansRag.Client;
using OrleansRag.Embedding;
using OrleansRag.Ingestion;

namespace OrleansRag.Bench;

/// <summary>
/// What ingest spends outside embedding, measured on the same work: SciFact abstracts ingested through the SDK (8 in
/// flight), then exactly the passages that ingest embedded (each chunk's "title text" with its sentence spans, read back
/// from the chunks listing) embedded alone through the same model's service with the same concurrency, one request per
/// document as the pipeline sends them. The share outside embedding is 1 - embed time / ingest time, summed over the
/// measured rounds (each on new documents into a new collection, ingest then embedding alone, so a noisy neighbour slows
/// both). The first rounds warm up and are not counted: until ONNX Runtime has planned the input shapes and the JIT has
/// settled, whichever of the two meets new texts first pays 20-30 % more. Prints; asserts nothing.
/// </summary>
internal static class IngestOverheadBenchmark
{
    private const int InFlight = 8;

    public static async Task RunAsync(string[] args)
    {
        var count = BenchArgs.Int(args, "--docs", 300);
        var rounds = BenchArgs.Int(args, "--rounds", 6);
        var warmRounds = BenchArgs.Int(args, "--warm-rounds", 2);
        var quantized = BenchArgs.String(args, "--quantized") ?? "true";
        var app = BenchHost.Build(new Dictionary<string, string?> { ["Query:AnswerCacheEntries"] = "0", ["Embedding:Quantized"] = quantized });
        await app.StartAsync();
        var rag = BenchHost.Client(app);
        var models = app.Services.GetRequiredService<EmbeddingModels>();
        var service = models.Default;
        var model = await service.GetModelAsync();
        var all = SciFact.Documents((count * (warmRounds + rounds)) + 50);

        // Warm-up: a collection of 50 documents (JIT, grains, ONNX Runtime's shapes).
        await SciFact.IngestAsync(rag, "overhead-warm", all.Take(50));
        Console.WriteLine($"OrleansRag ingest overhead: {Environment.ProcessorCount} cores, {count} SciFact abstracts per round, {InFlight} in flight, model {model.Name}");
        double ingestTotal = 0, embedTotal = 0;
        for (var round = 0; round < warmRounds + rounds; round++)
        {
            var documents = all.Skip(50 + (count * round)).Take(count).ToList();
            var collection = $"overhead-{round}";
            var paused = GC.GetTotalPauseDuration();
            var watch = Stopwatch.StartNew();
            var chunks = await SciFact.IngestAsync(rag, collection, documents);
            var ingestSeconds = watch.Elapsed.TotalSeconds;
            var ingestGc = (GC.GetTotalPauseDuration() - paused).TotalMilliseconds;

            // The passages ingest embedded, read back: per document, its title and each chunk's text.
            var passages = new List<Passage[]>();
            foreach (var (id, title, _) in documents)
            {
                var page = await rag.GetChunksAsync(collection, id, 0, 1000) ?? throw new InvalidOperationException($"{id} has no chunks");
                passages.Add([.. page.Chunks.Select(c => c.Text).Distinct(StringComparer.Ordinal).Select(text => new Passage(title, text, SentenceSplitter.Spans(text) ?? []))]);
            }

            paused = GC.GetTotalPauseDuration();
            watch.Restart();
            await Parallel.ForEachAsync(passages, new ParallelOptions { MaxDegreeOfParallelism = InFlight }, async (batch, token) => await service.EmbedPassagesAsync(batch, token));
            var embedSeconds = watch.Elapsed.TotalSeconds;
            var embedGc = (GC.GetTotalPauseDuration() - paused).TotalMilliseconds;
            var warm = round < warmRounds;
            if (!warm)
            {
                ingestTotal += ingestSeconds;
                embedTotal += embedSeconds;
            }

            Console.WriteLine($"{(warm ? "warm-up round" : "round")} {round + 1}: ingest {chunks} chunks in {ingestSeconds:F2} s ({chunks / ingestSeconds:F1} chunks/s, GC pauses {ingestGc:F0} ms); the same passages embedded alone {embedSeconds:F2} s (GC pauses {embedGc:F0} ms); outside embedding {(1 - (embedSeconds / ingestSeconds)) * 100:F1}%");
        }

        Console.WriteLine($"rounds {warmRounds + 1}-{warmRounds + rounds}: ingest {ingestTotal:F2} s, embedding alone {embedTotal:F2} s: ingest spends {(1 - (embedTotal / ingestTotal)) * 100:F1}% outside embedding");
        await app.StopAsync();
    }
}
