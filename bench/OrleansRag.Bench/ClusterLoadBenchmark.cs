using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using OrleansRag.Client;

namespace OrleansRag.Bench;

/// <summary>
/// Load on a running cluster from outside (deploy/container-test.sh runs it against the compose cluster while it restarts
/// the silos one at a time): an Orleans client (static gateways) that ingests and asks, and HTTP clients that ask and, when
/// their silo does not answer, move to the next one. Runs until --stop-file appears, SIGTERM or Ctrl+C (or --seconds); then checks that every
/// document whose ingest was acknowledged is in the collection, and prints the figures. Exit code 1 on any failed request
/// (a request counts as failed when no silo answered it) or a lost document. With --progress-file it keeps the counts so
/// far in that file ("acknowledged N answered M", rewritten about twice a second), so a script can wait for load to have
/// run rather than sleep. --collection names the collection (rolling), --response-timeout the Orleans client's response
/// timeout in seconds (Orleans' 30), and --lost-only makes only lost documents fail the run (failed requests are printed).
/// </summary>
internal static class ClusterLoadBenchmark
{
    private static readonly TimeSpan HttpPause = TimeSpan.FromMilliseconds(100);

    /// <summary>429s one question may wait out before it counts as failed.</summary>
    private const int MaxRateLimited = 20;

    public static async Task<int> RunAsync(string[] args)
    {
        var gateways = (BenchArgs.String(args, "--gateways") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(IPEndPoint.Parse).ToArray();
        var urls = (BenchArgs.String(args, "--http") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(u => new Uri(u.TrimEnd('/') + "/")).ToArray();
        var key = Environment.GetEnvironmentVariable("ORAG_API_KEY") ?? throw new InvalidOperationException("ORAG_API_KEY is not set.");
        var stopFile = BenchArgs.String(args, "--stop-file");
        var progressFile = BenchArgs.String(args, "--progress-file");
        var seconds = BenchArgs.Int(args, "--seconds", 600);
        var clusterId = BenchArgs.String(args, "--cluster-id") ?? "orleans-rag";
        var collection = BenchArgs.String(args, "--collection") ?? "rolling";
        var responseTimeout = BenchArgs.Int(args, "--response-timeout", 30);
        var lostOnly = args.Contains("--lost-only");

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.AddFilter(level => level >= Microsoft.Extensions.Logging.LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (clusterId, clusterId));
            client.UseStaticClustering(gateways);
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(responseTimeout));
        });
        builder.Services.AddRagClient(o => o.ApiKey = key);
        using var host = builder.Build();
        await host.StartAsync();
        var rag = host.Services.GetRequiredService<IRagClient>();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        await rag.IngestAsync(collection, "seed", new DocumentInput("The rolling restart keeps every acknowledged document and answers every question."));

        var acknowledged = new ConcurrentBag<string>();
        var latencies = new ConcurrentDictionary<string, ConcurrentBag<double>>();
        var failures = new ConcurrentBag<string>();
        long moved = 0;
        long answeredOverHttp = 0;
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping; // SIGTERM or Ctrl+C
        bool Running() => DateTime.UtcNow < deadline && (stopFile is null || !File.Exists(stopFile)) && !stopping.IsCancellationRequested;
        void Time(string what, double ms) => latencies.GetOrAdd(what, _ => []).Add(ms);

        async Task OrleansLoopAsync()
        {
            for (var i = 0; Running(); i++)
            {
                var id = $"doc-{i}";
                var watch = Stopwatch.StartNew();
                try
                {
                    await rag.IngestAsync(collection, id, new DocumentInput($"Document {i} records that the rolling number of item {i} is {i * 13}."));
                    acknowledged.Add(id);
                    Time("orleans ingest", watch.Elapsed.TotalMilliseconds);
                    watch.Restart();
                    var answer = await rag.AskAsync(collection, $"What is the rolling number of item {i}?");
                    Time("orleans ask", watch.Elapsed.TotalMilliseconds);
                    if (answer is null || answer.Citations.Count == 0)
                    {
                        failures.Add($"orleans ask {i}: no citation");
                    }
                }
                catch (Exception exception)
                {
                    failures.Add($"orleans {id}: {exception.GetType().Name}: {exception.Message}");
                }
            }
        }

        async Task HttpLoopAsync(int start)
        {
            var at = start;
            for (var i = 0; Running(); i++)
            {
                var watch = Stopwatch.StartNew();
                var answered = false;
                var limited = 0;
                for (var attempt = 0; attempt < urls.Length * 3 && !answered; attempt++)
                {
                    var url = urls[(at + attempt) % urls.Length];
                    try
                    {
                        using var response = await http.PostAsJsonAsync(new Uri(url, $"v1/collections/{collection}/ask"), new { question = "What does the rolling restart keep?" });
                        if (response.IsSuccessStatusCode)
                        {
                            answered = true;
                            Interlocked.Increment(ref answeredOverHttp);
                            if (attempt > 0)
                            {
                                Interlocked.Increment(ref moved);
                                at = (at + attempt) % urls.Length; // stay on the silo that answered
                            }
                        }
                        else if (response.StatusCode == HttpStatusCode.TooManyRequests && ++limited <= MaxRateLimited)
                        {
                            attempt--; // the key's rate limit, not a silo going away: wait as told and ask the same silo again
                            await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                        }
                        else if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                        {
                            failures.Add($"http {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                            answered = true; // an answer, a wrong one
                        }
                    }
                    catch (HttpRequestException)
                    {
                        // connection refused or reset: the silo is restarting; the next one is tried
                    }
                    catch (TaskCanceledException)
                    {
                    }
                }

                if (!answered)
                {
                    failures.Add($"http ask {i}: no silo answered");
                }

                Time("http ask", watch.Elapsed.TotalMilliseconds);
                await Task.Delay(HttpPause); // a person's pace, not a flood
            }
        }

        async Task ProgressLoopAsync()
        {
            while (progressFile is not null && Running())
            {
                var temporary = progressFile + ".tmp";
                await File.WriteAllTextAsync(temporary, $"acknowledged {acknowledged.Count} answered {Interlocked.Read(ref answeredOverHttp)}\n");
                File.Move(temporary, progressFile, overwrite: true);
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }

        var watchAll = Stopwatch.StartNew();
        await Task.WhenAll(OrleansLoopAsync(), HttpLoopAsync(0), HttpLoopAsync(1), HttpLoopAsync(2), ProgressLoopAsync());
        HashSet<string> listed;
        try
        {
            listed = (await rag.ListAsync(collection)).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            Console.WriteLine($"load for {watchAll.Elapsed.TotalSeconds:F0} s: {acknowledged.Count} documents acknowledged, but the collection could not be listed to check them: {exception.GetType().Name}: {exception.Message}");
            await host.StopAsync();
            return 1;
        }

        var lost = acknowledged.Where(id => !listed.Contains(id)).ToList();
        Console.WriteLine($"load for {watchAll.Elapsed.TotalSeconds:F0} s: {acknowledged.Count} documents acknowledged, {lost.Count} lost; {failures.Count} failed requests; {moved} HTTP requests moved to another silo");
        foreach (var (what, values) in latencies.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            var sorted = values.Order().ToArray();
            Console.WriteLine($"  {what}: {sorted.Length} requests, p50 {Percentiles.Of(sorted, 50):F1} ms, p95 {Percentiles.Of(sorted, 95):F1} ms, max {sorted[^1]:F1} ms");
        }

        foreach (var failure in failures.GroupBy(f => f.Split(':')[0]).SelectMany(g => g.Take(3)).Take(12))
        {
            Console.WriteLine($"  failed: {failure}");
        }

        await host.StopAsync();
        return (failures.IsEmpty || lostOnly) && lost.Count == 0 ? 0 : 1;
    }
}
