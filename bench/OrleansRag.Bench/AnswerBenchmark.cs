using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansRag.Client;
using OrleansRag.Embedding;
using OrleansRag.Generation;
using OrleansRag.Query;

namespace OrleansRag.Bench;

/// <summary>
/// The extractive answer path on SciFact: ingest chunks/s, the answers to the first 20 claims (for a
/// before/after reading of answer quality), ask latency one at a time with the answer cache off, the agreement
/// of stored sentence vectors with sentences embedded at question time, and ask latency during a bulk ingest.
/// Prints figures; asserts nothing.
/// </summary>
internal static partial class AnswerBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var documents = SciFact.Documents(BenchArgs.Int(args, "--docs", 1500));
        var questions = SciFact.Queries(BenchArgs.Int(args, "--questions", 500));
        var shown = BenchArgs.Int(args, "--show", 20);

        var app = BenchHost.Build(new Dictionary<string, string?> { ["Query:AnswerCacheEntries"] = "0" });
        await app.StartAsync();
        var rag = BenchHost.Client(app);

        var watch = Stopwatch.StartNew();
        var chunks = await SciFact.IngestAsync(rag, "bench", documents);
        Console.WriteLine($"ingest: {documents.Count} documents, {chunks} chunks in {watch.Elapsed.TotalSeconds:F1} s = {chunks / watch.Elapsed.TotalSeconds:F1} chunks/s");

        for (var i = 0; i < Math.Min(shown, questions.Count); i++)
        {
            var answer = await rag.AskAsync("bench", questions[i]);
            Console.WriteLine($"Q{i + 1}: {questions[i]}");
            Console.WriteLine($"  A: {answer.Answer}");
            Console.WriteLine($"  sources: {string.Join(", ", answer.Citations.Select(c => $"[{c.N}] {c.DocumentId}"))}");
        }

        var latencies = new double[questions.Count];
        for (var i = 0; i < questions.Count; i++)
        {
            var one = Stopwatch.StartNew();
            await rag.AskAsync("bench", questions[i]);
            latencies[i] = one.Elapsed.TotalMilliseconds;
        }

        Array.Sort(latencies);
        Console.WriteLine($"ask (extractive, hybrid, cache off, one at a time): {questions.Count} questions; latency p50 {Percentiles.Of(latencies, 50):F1} ms, p95 {Percentiles.Of(latencies, 95):F1} ms, p99 {Percentiles.Of(latencies, 99):F1} ms");

        if (!args.Contains("--no-agreement"))
        {
            await AgreementAsync(app, SciFact.QueriesWithIds(BenchArgs.Int(args, "--agreement", 200)), documents.Select(d => d.Id).ToHashSet(StringComparer.Ordinal));
        }

        if (!args.Contains("--no-load"))
        {
            await UnderIngestAsync(rag, questions, SciFact.Documents(documents.Count + BenchArgs.Int(args, "--bulk", 1000)).Skip(documents.Count).ToList(), Percentiles.Of(latencies, 95));
        }

        await app.StopAsync();
    }

    /// <summary>
    /// Stored (pooled, int8) sentence vectors against today's way, each candidate sentence embedded alone at
    /// question time, through the same generator on the same retrieved chunks: how often the same sentences are
    /// quoted.
    /// </summary>
    private static async Task AgreementAsync(WebApplication app, List<(string Id, string Text)> questions, HashSet<string> ingested)
    {
        var relevant = SciFact.Relevant();
        int judged = 0, storedRelevant = 0, aloneRelevant = 0;
        var retriever = app.Services.GetRequiredService<Retriever>();
        var pipeline = app.Services.GetRequiredService<AnswerPipeline>();
        var models = app.Services.GetRequiredService<EmbeddingModels>();
        var options = app.Services.GetRequiredService<IOptions<GenerationOptions>>().Value;
        var generator = new ExtractiveGenerator(options.MaxSentences, options.MinScore);
        var key = GrainKeys.Collection(RagConstants.DefaultTenant, "bench");
        var info = await app.Services.GetRequiredService<CollectionDirectory>().FindAsync(key, CancellationToken.None)
            ?? throw new InvalidOperationException("The bench collection does not exist.");
        int same = 0, sameFirst = 0, bothAnswered = 0, noAnswerAgree = 0;
        double jaccard = 0;
        foreach (var (id, question) in questions)
        {
            var found = await retriever.RetrieveAsync(key, info, question, new SearchOptions(Mode: SearchMode.Hybrid), forAnswer: true, CancellationToken.None);
            var stored = await pipeline.ExtractAsync(question, found.Vector!, found.EmbeddingModel, found.Hits, CancellationToken.None);
            var candidates = ExtractiveGenerator.Candidates(found.Hits.Select(h => h with { Sentences = null }));
            var aloneVectors = candidates.Count == 0 ? [] : (await (await models.GetAsync(found.EmbeddingModel)).EmbedAsync([.. candidates.Select(c => c.Text)], EmbeddingKind.Document)).Vectors;
            var alone = candidates.Count == 0
                ? new GeneratedAnswer(ExtractiveGenerator.NoAnswer, [])
                : generator.Generate(question, found.Vector!, candidates, aloneVectors);
            var a = Quoted(stored.Answer);
            var b = Quoted(alone.Answer);
            same += a.SetEquals(b) ? 1 : 0;
            sameFirst += a.Count > 0 && b.Count > 0 && FirstQuoted(stored.Answer) == FirstQuoted(alone.Answer) ? 1 : 0;
            noAnswerAgree += (stored.Answer == ExtractiveGenerator.NoAnswer) == (alone.Answer == ExtractiveGenerator.NoAnswer) ? 1 : 0;
            if (relevant.TryGetValue(id, out var truth) && truth.Overlaps(ingested))
            {
                judged++;
                storedRelevant += stored.Citations.Count > 0 && truth.Contains(stored.Citations[0].DocumentId) ? 1 : 0;
                aloneRelevant += alone.Citations.Count > 0 && truth.Contains(alone.Citations[0].DocumentId) ? 1 : 0;
            }

            if (a.Count > 0 && b.Count > 0)
            {
                bothAnswered++;
                jaccard += a.Intersect(b).Count() / (double)a.Union(b).Count();
            }
        }

        Console.WriteLine($"agreement of stored sentence vectors with sentences embedded at question time, {questions.Count} SciFact claims: same quoted sentences {100.0 * same / questions.Count:F1}%, same first sentence {100.0 * sameFirst / questions.Count:F1}%, mean Jaccard of quoted sentences {jaccard / Math.Max(1, bothAnswered):F3} (over {bothAnswered} answered both ways), answer/no-answer agree {100.0 * noAnswerAgree / questions.Count:F1}%");
        Console.WriteLine($"first citation is a relevant document (SciFact qrels, {judged} claims whose relevant document is in the collection): stored vectors {100.0 * storedRelevant / Math.Max(1, judged):F1}%, sentences embedded at question time {100.0 * aloneRelevant / Math.Max(1, judged):F1}%");
    }

    /// <summary>Ask latency one at a time while 1,000 other documents are ingested into another collection, 8 in flight.</summary>
    private static async Task UnderIngestAsync(IRagClient rag, List<string> questions, List<(string Id, string Title, string Text)> bulk, double idleP95)
    {
        var watch = Stopwatch.StartNew();
        var ingest = SciFact.IngestAsync(rag, "bulk", bulk);
        var latencies = new List<double>();
        for (var i = 0; !ingest.IsCompleted && i < 100_000; i++)
        {
            var one = Stopwatch.StartNew();
            await rag.AskAsync("bench", questions[i % questions.Count]);
            latencies.Add(one.Elapsed.TotalMilliseconds);
        }

        var chunks = await ingest;
        var sorted = latencies.Order().ToArray();
        Console.WriteLine($"ask during a bulk ingest of {bulk.Count} documents ({chunks} chunks in {watch.Elapsed.TotalSeconds:F1} s = {chunks / watch.Elapsed.TotalSeconds:F1} chunks/s): {sorted.Length} asks, latency p50 {Percentiles.Of(sorted, 50):F1} ms, p95 {Percentiles.Of(sorted, 95):F1} ms ({Percentiles.Of(sorted, 95) / idleP95:F1}x the idle p95 of {idleP95:F1} ms)");
    }

    private static HashSet<string> Quoted(string answer) =>
        answer == ExtractiveGenerator.NoAnswer ? [] : [.. Marker().Split(answer).Select(s => s.Trim()).Where(s => s.Length > 1)];

    private static string FirstQuoted(string answer) => Marker().Split(answer)[0].Trim();

    [GeneratedRegex(@"\s*\[\d+\][.!?""'”’)\]]*")]
    private static partial Regex Marker();
}

internal static class Percentiles
{
    /// <summary>The nearest-rank percentile of an ascending array.</summary>
    public static double Of(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}
