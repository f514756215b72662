using System.Collections.Concurrent;
using System.Diagnostics;
using OrleansRag.Client;
using Xunit.Abstractions;

namespace OrleansRag.Tests.Production;

/// <summary>
/// Three silo processes on PostgreSQL membership and Redis storage (failure detection as shipped in appsettings.json);
/// a bounded load of ingests and questions through an external client; kill -9 one silo mid-load, three times in a
/// row (a replacement is started at each kill, under the load, and has joined before the next). Nothing acknowledged may be lost; each round prints the detection time, how
/// long requests that started after the kill took to be answered (p95, max), and the failed requests.
/// </summary>
public sealed class FailoverTests(ITestOutputHelper output)
{
    private const int Documents = 30; // per round
    private const string Collection = "failover";

    private static readonly string[] Animals = ["otter", "heron", "lynx", "badger", "falcon", "walrus", "gecko", "bison"];
    private static readonly string[] Places = ["Oslo", "Lima", "Accra", "Perth", "Quito", "Hanoi", "Tunis", "Riga"];

    private static string Text(int i) =>
        $"Field note {i}: a {Animals[i % Animals.Length]} was tagged near {Places[i / Animals.Length % Places.Length]} carrying ring code R{i * 7919 % 100000:D5}. " +
        $"The {Animals[i % Animals.Length]} weighed {10 + i} kilograms.";

    private const int Kills = 3;

    [Fact]
    public async Task Kill_minus_9_of_one_silo_under_load_three_times_loses_no_acknowledged_document()
    {
        await using var cluster = new ProductionCluster();
        await cluster.StartSilosAsync(3);
        var rag = await cluster.ConnectFailFastClientAsync();
        await rag.IngestAsync(Collection, "seed", new DocumentInput("Seed document so that the collection exists before the load.", "Seed"));

        var acknowledged = new ConcurrentDictionary<string, string>();
        var clock = Stopwatch.StartNew();
        var recoveries = new List<double>();
        for (var round = 0; round < Kills; round++)
        {
            var failures = new ConcurrentBag<(TimeSpan At, string What)>();
            var afterKill = new ConcurrentBag<(TimeSpan Started, TimeSpan Took)>(); // requests that started after the kill and succeeded
            TimeSpan? killedAt = null;
            Task<TimeSpan>? declaredDead = null;
            Task? replacement = null;
            var victim = cluster.Silos[cluster.Silos.Count - 1 - (round % 2)]; // never the first silo: the client's first gateway stays (it also fails over)
            var first = round * Documents;
            var next = first - 1;
            var asked = 0;
            var roundClock = Stopwatch.StartNew();

            async Task TimedAsync(Func<Task> call, string what)
            {
                var started = clock.Elapsed;
                try
                {
                    await call();
                    if (killedAt is { } k && started >= k)
                    {
                        afterKill.Add((started - k, clock.Elapsed - started));
                    }
                }
                catch (Exception exception)
                {
                    failures.Add((clock.Elapsed, $"{what}: {exception.GetType().Name}"));
                }
            }

            async Task IngestWorkerAsync()
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < first + Documents && roundClock.Elapsed < TimeSpan.FromMinutes(3))
                {
                    var id = $"note-{i:D3}";
                    await TimedAsync(async () =>
                    {
                        await rag.IngestAsync(Collection, id, new DocumentInput(Text(i), $"Field note {i}"));
                        acknowledged[id] = Text(i);
                    }, $"ingest {id}");

                    if (i - first == Documents / 3 && killedAt is null)
                    {
                        killedAt = clock.Elapsed;
                        victim.Kill();
                        declaredDead = DeclaredDeadAsync(cluster, victim.SiloPort, clock);
                        replacement = cluster.StartSiloAsync(); // as an orchestrator would: a new silo starts while the load goes on
                    }
                }
            }

            async Task AskWorkerAsync()
            {
                while (Volatile.Read(ref next) < first + Documents && roundClock.Elapsed < TimeSpan.FromMinutes(3) && asked < 60)
                {
                    var n = Interlocked.Increment(ref asked);
                    await TimedAsync(() => rag.AskAsync(Collection, $"Where was the {Animals[n % Animals.Length]} tagged?"), "ask");
                }
            }

            await Task.WhenAll(IngestWorkerAsync(), IngestWorkerAsync(), AskWorkerAsync());
            Assert.NotNull(killedAt);

            // The dead silo is declared dead in the membership table (watched from the moment of the kill).
            var victimPort = victim.SiloPort;
            var declaredDeadAfter = await declaredDead!- killedAt.Value;
            Assert.Equal(6, await cluster.MembershipStatusAsync(victimPort));

            // Every acknowledged document so far is there and searchable, served by the surviving silos.
            foreach (var (id, text) in acknowledged)
            {
                var document = await rag.GetAsync(Collection, id);
                Assert.NotNull(document);
                Assert.Equal(text, document.Text);
                var hits = (await rag.SearchAsync(Collection, text, new SearchOptions(5))).Hits;
                Assert.Contains(hits, h => h.DocumentId == id);
            }

            var took = afterKill.Select(a => a.Took.TotalSeconds).Order().ToArray();
            var p95 = took.Length == 0 ? 0 : took[(int)Math.Ceiling(took.Length * 0.95) - 1];
            var lastFailure = failures.IsEmpty ? (TimeSpan?)null : failures.Max(f => f.At);
            recoveries.Add(took.Length == 0 ? 0 : took.Max());
            output.WriteLine($"failover {round + 1}/{Kills}: silo on port {victimPort} killed; declared dead in the membership table {declaredDeadAfter.TotalSeconds:F1} s later");
            output.WriteLine($"failover {round + 1}/{Kills}: {afterKill.Count} requests started after the kill answered, p95 {p95:F2} s, max {(took.Length == 0 ? 0 : took.Max()):F2} s; " +
                $"{failures.Count} of {Documents + asked} requests failed" + (lastFailure is { } last ? $", the last {(last - killedAt.Value).TotalSeconds:F1} s after the kill" : "") +
                $" (an external client's call already on its way to the killed silo waits for its response timeout, {ProductionCluster.FailFastResponseTimeout.TotalSeconds:F0} s: only the gateway silo saw it leave)");
            foreach (var failure in failures.OrderBy(f => f.At))
            {
                output.WriteLine($"  {failure.At.TotalSeconds:F1} s {failure.What}");
            }

            output.WriteLine($"failover {round + 1}/{Kills}: {acknowledged.Count} acknowledged documents so far, all found afterwards");
            Assert.True(acknowledged.Count > (round * Documents) + (Documents / 3), $"only {acknowledged.Count} ingests were acknowledged by round {round + 1}: none after the kill");

            // The replacement, started at the kill, has joined before the next kill.
            cluster.Silos.Remove(victim);
            await victim.DisposeAsync();
            await replacement!;
        }

        output.WriteLine($"failover: slowest answer after each kill {string.Join(", ", recoveries.Select(r => $"{r:F2} s"))}");

        // Add a silo, then remove one gracefully: the cluster keeps answering and nothing is lost.
        var added = await cluster.StartSiloAsync();
        var leaving = cluster.Silos[0];
        await leaving.StopAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, leaving.ExitCode);
        Assert.Equal(6, await cluster.MembershipStatusAsync(leaving.SiloPort));
        Assert.Equal(3, await cluster.MembershipStatusAsync(added.SiloPort));
        foreach (var (id, text) in acknowledged)
        {
            var hits = await RetryAsync(() => rag.SearchAsync(Collection, text, new SearchOptions(5)));
            Assert.Contains(hits.Hits, h => h.DocumentId == id);
        }

        var listed = await RetryAsync(() => rag.ListAsync(Collection));
        Assert.Superset(acknowledged.Keys.ToHashSet(), listed.Select(d => d.Id).ToHashSet());

        // After the failovers, questions succeed.
        for (var q = 0; q < 10; q++)
        {
            var answer = await rag.AskAsync(Collection, $"How much did the {Animals[q % Animals.Length]} weigh?");
            Assert.NotEmpty(answer.Citations);
        }
    }

    /// <summary>When the silo on <paramref name="siloPort"/> has status Dead (6) in the membership table; polled, bounded: 90 s.</summary>
    private static async Task<TimeSpan> DeclaredDeadAsync(ProductionCluster cluster, int siloPort, Stopwatch clock)
    {
        var deadline = clock.Elapsed + TimeSpan.FromSeconds(90);
        while (await cluster.MembershipStatusAsync(siloPort) != 6 && clock.Elapsed < deadline)
        {
            await Task.Delay(100);
        }

        return clock.Elapsed;
    }

    /// <summary>Retries a call that may meet a silo on its way out (bounded: 30 s).</summary>
    private static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception exception) when (DateTime.UtcNow < deadline && exception is not Xunit.Sdk.XunitException)
            {
                await Task.Delay(500);
            }
        }
    }
}
