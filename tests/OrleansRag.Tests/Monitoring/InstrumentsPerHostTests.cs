using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrleansRag.Embedding;
using OrleansRag.Monitoring;
using OrleansRag.Retrieval;

namespace OrleansRag.Tests.Monitoring;

/// <summary>
/// Each host has one OrleansRag meter (from its own meter factory) and its collector aggregates only that meter: two
/// silos in one process (test clusters, a benchmark host) never count each other's requests.
/// </summary>
[Trait("Category", "Unit")]
public sealed class InstrumentsPerHostTests
{
    [Fact]
    public async Task A_collector_counts_its_own_hosts_requests_and_not_another_hosts()
    {
        using var hostA = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var hostB = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var a = new RagInstruments(hostA.GetRequiredService<IMeterFactory>());
        var b = new RagInstruments(hostB.GetRequiredService<IMeterFactory>());
        Assert.NotSame(a.Meter, b.Meter);
        Assert.Equal(a.Meter.Name, b.Meter.Name); // the same name for exporters ("OrleansRag"), two instances

        using var embeddings = new EmbeddingModels(Options.Create(new EmbeddingOptions()), NullLogger<EmbeddingService>.Instance, a);
        using var collector = new SiloMetricsCollector(
            Options.Create(new MonitoringOptions()), a, new ShardMemoryLedger(Options.Create(new RetrievalOptions())), embeddings,
            lifetime: null!, silo: null!, cluster: null!, TimeProvider.System, NullLogger<SiloMetricsCollector>.Instance);

        await a.TrackAsync("search", () => Task.FromResult(1));
        for (var i = 0; i < 3; i++)
        {
            await b.TrackAsync("search", () => Task.FromResult(1));
        }

        b.CacheLookup(hit: true);
        a.CacheLookup(hit: false);

        var snapshot = collector.TakeSnapshot("silo-a", TimeSpan.FromSeconds(5));
        Assert.Equal(1, snapshot.Operations["search"].Count);
        Assert.Equal(0, snapshot.CacheHits);
        Assert.Equal(1, snapshot.CacheMisses);
    }
}
