using System.Collections.Concurrent;
using System.Diagnostics;
using OrleansRag.Client;
using Xunit.Abstractions;

namespace OrleansRag.Tests.Production;

/// <summary>
/// Three silo processes on PostgreSQL membership and Redis storage; a bounded load of ingests and questions
/// through an external client; kill -9 one silo mid-load. Nothing acknowledged may be lost.
/// </summary>
public sealed class FailoverTests(ITestOutputHelper output)
{
    private const int Documents = 48;
    private const string Collection = "failover";

    private static readonly string[] Animals = ["otter", "heron", "lynx", "badger", "falcon", "walrus", "gecko", "bison"];
    private static readonly string[] Places = ["Oslo", "Lima", "Accra", "Perth", "Quito", "Hanoi", "Tunis", "Riga"];

    private static string Text(int i) =>
        $"Field note {i}: a {Animals[i % Animals.Length]} was tagged near {Places[i / Animals.Length % Places.Length]} carrying ring code R{i * 7919 % 100000:D5}. " +
        $"The {Animals[i % Animals.Length]} weighed {10 + i} kilograms.";

    [Fact]
    public async Task Kill_minus_9_of_one_silo_under_load_loses_no_acknowledged_document()
    {
        await using var cluster = new ProductionCluster();
        await cluster.StartSilosAsync(3);
        var rag = await cluster.ConnectClientAsync();
        await rag.IngestAsync(Collection, "seed", new DocumentInput("Seed document so that the collection exists before the load.", "Seed"));

        var acknowledged = new ConcurrentDictionary<string, string>();
        var failures = new ConcurrentBag<(TimeSpan At, string What)>();
        var clock = Stopwatch.StartNew();
        TimeSpan? killedAt = null;
        var victim = cluster.Silos[1];
        var next = -1;

        async Task IngestWorkerAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Documents && clock.Elapsed < TimeSpan.FromMinutes(3))
            {
                var id = $"note-{i:D3}";
                try
                {
                    var result = await rag.IngestAsync(Collection, id, new DocumentInput(Text(i), $"Field note {i}"));
                    acknowledged[id] = Text(i);
                }
                catch (Exception exception)
                {
                    failures.Add((clock.Elapsed, $"ingest {id}: {exception.GetType().Name}"));
                }

                if (acknowledged.Count == Documents / 3 && killedAt is null)
                {
                    killedAt = clock.Elapsed;
                    victim.Kill();
                }
            }
        }

        var asked = 0;
        async Task AskWorkerAsync()
        {
            while (Volatile.Read(ref next) < Documents && clock.Elapsed < TimeSpan.FromMinutes(3) && asked < 60)
            {
                try
                {
                    Interlocked.Increment(ref asked);
                    await rag.AskAsync(Collection, $"Where was the {Animals[asked % Animals.Length]} tagged?");
                }
                catch (Exception exception)
                {
                    failures.Add((clock.Elapsed, $"ask: {exception.GetType().Name}"));
                }
            }
        }

        await Task.WhenAll(IngestWorkerAsync(), IngestWorkerAsync(), AskWorkerAsync());
        Assert.NotNull(killedAt);

        // The dead silo is declared dead in the membership table.
        var victimPort = victim.SiloPort;
        var deadline = clock.Elapsed + TimeSpan.FromSeconds(90);
        while (await cluster.MembershipStatusAsync(victimPort) != 6 && clock.Elapsed < deadline)
        {
            await Task.Delay(250);
        }

        var declaredDeadAfter = clock.Elapsed - killedAt.Value;
        Assert.Equal(6, await cluster.MembershipStatusAsync(victimPort));

        // Every acknowledged document is there and searchable, served by the two surviving silos.
        foreach (var (id, text) in acknowledged)
        {
            var document = await rag.GetAsync(Collection, id);
            Assert.NotNull(document);
            Assert.Equal(text, document.Text);
            var hits = (await rag.SearchAsync(Collection, text, new SearchOptions(5))).Hits;
            Assert.Contains(hits, h => h.DocumentId == id);
        }

        // After the failover window, questions succeed.
        for (var q = 0; q < 10; q++)
        {
            var answer = await rag.AskAsync(Collection, $"How much did the {Animals[q % Animals.Length]} weigh?");
            Assert.NotEmpty(answer.Citations);
        }

        var lastFailure = failures.IsEmpty ? (TimeSpan?)null : failures.Max(f => f.At);
        output.WriteLine($"failover: silo on port {victimPort} killed at {killedAt.Value.TotalSeconds:F1} s; declared dead in the membership table {declaredDeadAfter.TotalSeconds:F1} s later");
        output.WriteLine($"failover: {failures.Count} of {Documents + asked} requests ({Documents} ingests, {asked} questions) failed during it" +
            (lastFailure is { } last ? $"; last failure {(last - killedAt.Value).TotalSeconds:F1} s after the kill" : ""));
        foreach (var failure in failures.OrderBy(f => f.At))
        {
            output.WriteLine($"  {failure.At.TotalSeconds:F1} s {failure.What}");
        }

        output.WriteLine($"failover: {acknowledged.Count} acknowledged documents, all found afterwards");
        Assert.True(acknowledged.Count >= Documents / 2, $"only {acknowledged.Count} of {Documents} ingests were acknowledged");

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
