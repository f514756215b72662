using Orleans.Concurrency;
using OrleansRag.Security;

namespace OrleansRag.Monitoring;

/// <summary>
/// One silo's metrics over one interval (default 5 s): counts, sums, a latency histogram per operation, and gauges.
/// Silos publish one of these per interval on an Orleans stream; never one event per request.
/// </summary>
[GenerateSerializer, Alias("OrleansRag.Monitoring.MetricsSnapshot")]
[Immutable]
public sealed record MetricsSnapshot(
    [property: Id(0)] string Silo,
    [property: Id(1)] DateTimeOffset Timestamp,
    [property: Id(2)] double IntervalSeconds,
    [property: Id(3)] IReadOnlyDictionary<string, OperationStats> Operations,
    [property: Id(4)] long CacheHits,
    [property: Id(5)] long CacheMisses,
    [property: Id(6)] long EmbeddingCalls,
    [property: Id(7)] long EmbeddingTexts,
    [property: Id(8)] long EmbeddingQueueLength,
    [property: Id(9)] long GenerationCalls,
    [property: Id(10)] long GenerationFallbacks,
    [property: Id(11)] double CpuPercent,
    [property: Id(12)] long WorkingSetBytes,
    [property: Id(13)] double MemoryPercent,
    [property: Id(14)] long GcCollections,
    [property: Id(15)] long ThreadPoolQueueLength,
    [property: Id(16)] IndexMemory? Index = null,
    [property: Id(17)] IReadOnlyDictionary<string, AnswerOutcomes>? Answers = null);

/// <summary>One collection's answers in one interval (key tenant/collection): how many, how many found nothing, and their ratings.</summary>
[GenerateSerializer, Alias("OrleansRag.Monitoring.AnswerOutcomes")]
[Immutable]
public sealed record AnswerOutcomes(
    [property: Id(0)] long Answers,
    [property: Id(1)] long NoAnswers,
    [property: Id(2)] long RatedUp,
    [property: Id(3)] long RatedDown)
{
    public AnswerOutcomes Add(AnswerOutcomes other) =>
        new(Answers + other.Answers, NoAnswers + other.NoAnswers, RatedUp + other.RatedUp, RatedDown + other.RatedDown);
}

/// <summary>Requests of one operation in one interval: count, errors, summed seconds and a latency histogram.</summary>
[GenerateSerializer, Alias("OrleansRag.Monitoring.OperationStats")]
[Immutable]
public sealed record OperationStats(
    [property: Id(0)] long Count,
    [property: Id(1)] long Errors,
    [property: Id(2)] double SumSeconds,
    [property: Id(3)] long[] Buckets);

/// <summary>The cluster-wide view over a window: per operation and per silo.</summary>
[GenerateSerializer, Alias("OrleansRag.Monitoring.MetricsSummary")]
[Immutable]
public sealed record MetricsSummary(
    [property: Id(0)] double WindowSeconds,
    [property: Id(1)] IReadOnlyDictionary<string, OperationSummary> Operations,
    [property: Id(2)] double? CacheHitRate,
    [property: Id(3)] IReadOnlyList<SiloSummary> Silos);

[GenerateSerializer, Alias("OrleansRag.Monitoring.OperationSummary")]
[Immutable]
public sealed record OperationSummary(
    [property: Id(0)] long Requests,
    [property: Id(1)] double Qps,
    [property: Id(2)] double ErrorRate,
    [property: Id(3)] double? AvgLatencyMs,
    [property: Id(4)] double? P95LatencyMs);

[GenerateSerializer, Alias("OrleansRag.Monitoring.SiloSummary")]
[Immutable]
public sealed record SiloSummary(
    [property: Id(0)] string Silo,
    [property: Id(1)] DateTimeOffset LastSeen,
    [property: Id(2)] double CpuPercent,
    [property: Id(3)] double MemoryPercent,
    [property: Id(4)] long WorkingSetBytes,
    [property: Id(5)] long EmbeddingQueueLength,
    [property: Id(6)] long ThreadPoolQueueLength,
    [property: Id(7)] IndexMemory? Index = null);

/// <summary>One value of a metric for one series (cluster-wide: no labels; per silo: silo=…).</summary>
[GenerateSerializer, Alias("OrleansRag.Monitoring.SeriesValue")]
[Immutable]
public sealed record SeriesValue(
    [property: Id(0)] IReadOnlyDictionary<string, string> Labels,
    [property: Id(1)] double? Value,
    [property: Id(2)] DateTimeOffset LastSeen);

/// <summary>Collects the silos' snapshots (implicit stream subscription) and answers summaries and rule queries.</summary>
[RequiresRole(RagRole.Admin)]
[TenantScoped(TenantScope.Cluster)]
[Alias("OrleansRag.Monitoring.IMetricsGrain")]
public interface IMetricsGrain : IGrainWithStringKey
{
    [ReadOnly]
    Task<MetricsSummary> GetSummaryAsync(TimeSpan window);

    /// <summary>The metric per series over the window ending now; Value is null for a series with no samples in it.</summary>
    [ReadOnly]
    Task<SeriesValue[]> QueryAsync(string metric, AlertAggregation aggregation, TimeSpan window, string? operation);

    /// <summary>Takes one snapshot (the stream delivers them; tests and tools may too).</summary>
    Task AddAsync(MetricsSnapshot snapshot);

    /// <summary>A silo that shut down on purpose: its series end without a "no data" alert.</summary>
    Task ForgetSiloAsync(string silo);
}

/// <summary>Names shared by the publishers and the grain.</summary>
public static class MetricsChannel
{
    public const string Namespace = "silo-metrics";
    public const string Key = "cluster";

    /// <summary>Upper bounds (seconds) of the latency histogram buckets; the last bucket is open.</summary>
    public static readonly double[] BucketBounds =
        [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 60];
}

/// <summary>
/// One retrieval shard's memory, as the shard estimates it: vectors and the search structure (exact), the chunks'
/// text and sentence vectors, and the BM25 postings.
/// </summary>
[GenerateSerializer, Alias("OrleansRag.Monitoring.ShardFootprint")]
[Immutable]
public sealed record ShardFootprint(
    [property: Id(0)] string Shard,
    [property: Id(1)] string IndexKind,
    [property: Id(2)] int Documents,
    [property: Id(3)] int Chunks,
    [property: Id(4)] long VectorBytes,
    [property: Id(5)] long TextBytes,
    [property: Id(6)] long LexicalBytes)
{
    public long TotalBytes => VectorBytes + TextBytes + LexicalBytes;
}

/// <summary>The retrieval shards active on one silo: their memory against the silo's budget, and the largest of them.</summary>
[GenerateSerializer, Alias("OrleansRag.Monitoring.IndexMemory")]
[Immutable]
public sealed record IndexMemory(
    [property: Id(0)] long BudgetBytes,
    [property: Id(1)] long TotalBytes,
    [property: Id(2)] long Chunks,
    [property: Id(3)] int Shards,
    [property: Id(4)] IReadOnlyList<ShardFootprint> Largest)
{
    /// <summary>Shards listed in <see cref="Largest"/>.</summary>
    public const int LargestListed = 10;

    public double BudgetPercent => BudgetBytes > 0 ? TotalBytes * 100.0 / BudgetBytes : 0;
}
