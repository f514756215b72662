using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OrleansRag.Client;
using OrleansRag.Monitoring;

namespace OrleansRag.Bench;

/// <summary>
/// Do the default alert rules stay quiet in ordinary use? The real host with its default rules, metrics and answer
/// cache; SciFact documents ingested; then for <c>--minutes</c> a mixed load from a few users with think time:
/// distinct questions (a fifth of them repeated, as people do), searches in every ranking mode, and a new document
/// every few seconds. Prints the requests made, the latencies, and every alert state change the rules recorded
/// (the goal: none). Asserts nothing.
/// </summary>
internal static class AlertLoadBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var minutes = BenchArgs.Int(args, "--minutes", 10);
        var documents = SciFact.Documents(BenchArgs.Int(args, "--docs", 500));
        var app = BenchHost.Build(new Dictionary<string, string?>());
        await app.StartAsync();
        var rag = BenchHost.Client(app);
        var grains = app.Services.GetRequiredService<IGrainFactory>();

        var watch = Stopwatch.StartNew();
        var chunks = await SciFact.IngestAsync(rag, "load", documents);
        Console.WriteLine($"ingest: {documents.Count} documents, {chunks} chunks in {watch.Elapsed.TotalSeconds:F1} s");

        var questions = SciFact.Queries(5000);
        var fresh = SciFact.Documents(documents.Count + 1000).Skip(documents.Count).ToList();
        var end = DateTime.UtcNow + TimeSpan.FromMinutes(minutes);
        var stats = new Dictionary<string, List<double>> { ["ask"] = [], ["search"] = [], ["ingest"] = [] };
        var failures = 0;
        var next = -1;

        async Task TimedAsync(string operation, Func<Task> call)
        {
            var one = Stopwatch.StartNew();
            try
            {
                await call();
                lock (stats)
                {
                    stats[operation].Add(one.Elapsed.TotalMilliseconds);
                }
            }
            catch (Exception exception)
            {
                Interlocked.Increment(ref failures);
                Console.WriteLine($"  {operation} failed: {exception.GetType().Name}: {exception.Message}");
            }
        }

        async Task AskerAsync(int seed)
        {
            var random = new Random(seed);
            while (DateTime.UtcNow < end)
            {
                var index = Interlocked.Increment(ref next);
                var question = random.NextDouble() < 0.2 && index > 10 ? questions[random.Next(Math.Min(index, questions.Count))] : questions[index % questions.Count];
                await TimedAsync("ask", () => rag.AskAsync("load", question));
                await Task.Delay(random.Next(200, 1200));
            }
        }

        async Task SearcherAsync(int seed)
        {
            var random = new Random(seed);
            var modes = Enum.GetValues<SearchMode>();
            while (DateTime.UtcNow < end)
            {
                var query = questions[random.Next(questions.Count)];
                await TimedAsync("search", () => rag.SearchAsync("load", query, new SearchOptions(TopK: 10, Mode: modes[random.Next(modes.Length)])));
                await Task.Delay(random.Next(100, 800));
            }
        }

        async Task WriterAsync()
        {
            for (var i = 0; DateTime.UtcNow < end && i < fresh.Count; i++)
            {
                var (id, title, text) = fresh[i];
                await TimedAsync("ingest", () => rag.IngestAsync("load", id, new DocumentInput(text, title)));
                await Task.Delay(3000);
            }
        }

        async Task ReporterAsync()
        {
            while (DateTime.UtcNow < end)
            {
                await Task.Delay(TimeSpan.FromMinutes(1));
                var active = await grains.GetGrain<IAlertManagerGrain>(AlertManagerGrain.Key).ActiveAlertsAsync();
                int asks, searches;
                lock (stats)
                {
                    (asks, searches) = (stats["ask"].Count, stats["search"].Count);
                }

                Console.WriteLine($"  {DateTime.UtcNow:HH:mm:ss} {asks} asks, {searches} searches; active alerts: {(active.Length == 0 ? "none" : string.Join(", ", active.Select(a => $"{a.Rule} {a.State}")))}");
            }
        }

        watch.Restart();
        await Task.WhenAll(new[] { AskerAsync(1), AskerAsync(2), SearcherAsync(3), WriterAsync(), ReporterAsync() }.Select(async loop =>
        {
            try
            {
                await loop;
            }
            catch (Exception exception)
            {
                Interlocked.Increment(ref failures);
                Console.WriteLine($"  a load loop stopped: {exception}");
            }
        }));
        Console.WriteLine($"mixed load for {watch.Elapsed.TotalMinutes:F1} min, {failures} failed requests:");
        foreach (var (operation, latencies) in stats)
        {
            var sorted = latencies.Order().ToArray();
            Console.WriteLine(sorted.Length == 0
                ? $"  {operation}: none"
                : $"  {operation}: {sorted.Length} requests, p50 {Percentiles.Of(sorted, 50):F1} ms, p95 {Percentiles.Of(sorted, 95):F1} ms, max {sorted[^1]:F1} ms");
        }

        // The per-collection rates the two answer-quality rules watch, over the run (their rules need 15 minutes of it).
        var metrics = grains.GetGrain<IMetricsGrain>(MetricsChannel.Key);
        foreach (var metric in new[] { "no_answer_percent", "negative_feedback_percent" })
        {
            var series = await metrics.QueryAsync(metric, AlertAggregation.Avg, watch.Elapsed + TimeSpan.FromMinutes(1), null);
            Console.WriteLine($"{metric} over the run: {(series.Length == 0 ? "no series" : string.Join(", ", series.Select(v => $"{string.Join(",", v.Labels.Select(l => $"{l.Key}={l.Value}"))} {(v.Value is { } value ? $"{value:F1} %" : "no value (too few)")}")))}");
        }

        var manager = grains.GetGrain<IAlertManagerGrain>(AlertManagerGrain.Key);
        var rules = await manager.ListRulesAsync();
        var history = await manager.HistoryAsync(500);
        Console.WriteLine($"default rules: {string.Join(", ", rules.Select(r => r.Name))}");
        Console.WriteLine(history.Length == 0
            ? "alert state changes during the run: none"
            : $"alert state changes during the run ({history.Length}):{Environment.NewLine}{string.Join(Environment.NewLine, history.Select(a => $"  {a.Rule} {a.State} {string.Join(",", a.Labels.Select(l => $"{l.Key}={l.Value}"))} value {a.Value}"))}");
        await app.StopAsync();
    }
}
