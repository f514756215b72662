using Microsoft.Extensions.Options;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace OrleansRag.Monitoring;

/// <summary>
/// The cluster's metrics: receives every silo's interval snapshot through an implicit subscription to the metrics
/// stream, keeps them for <see cref="MonitoringOptions.Retention"/> in memory, and answers summaries and the
/// queries of alert rules. (History restarts empty if the grain moves; rules wait for data again.)
/// </summary>
[ImplicitStreamSubscription(MetricsChannel.Namespace)]
[GrainType("metrics")] // the name the convention gave it: stored state and reminders are keyed by it, so a rename of the class must not change it
public sealed class MetricsGrain(
    [PersistentState("metrics", RagConstants.StorageName)] IPersistentState<MetricsGrainState> state,
    IOptions<MonitoringOptions> options, TimeProvider time)
    : Grain, IMetricsGrain, IStreamSubscriptionObserver, IAsyncObserver<MetricsSnapshot>
{
    /// <summary>How often the silos' last-seen times are saved (a reactivated grain still knows who went quiet).</summary>
    private static readonly TimeSpan SaveEvery = TimeSpan.FromSeconds(10);
    private readonly Dictionary<string, List<MetricsSnapshot>> _bySilo = new(StringComparer.Ordinal);
    private DateTimeOffset _saved;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Silos known before this activation: no samples here yet, but their last report counts for "no data".
        foreach (var (silo, lastSeen) in state.State.LastSeen.Where(p => p.Value > time.GetUtcNow() - options.Value.Retention))
        {
            _bySilo[silo] = [Placeholder(silo, lastSeen)];
        }

        return Task.CompletedTask;
    }

    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
    {
        ArgumentNullException.ThrowIfNull(handleFactory);
        return handleFactory.Create<MetricsSnapshot>().ResumeAsync(this);
    }

    public Task OnNextAsync(MetricsSnapshot item, StreamSequenceToken? token = null) => AddAsync(item);

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;

    public Task AddAsync(MetricsSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (!_bySilo.TryGetValue(snapshot.Silo, out var list))
        {
            _bySilo[snapshot.Silo] = list = [];
        }

        list.RemoveAll(s => s.IntervalSeconds == 0); // a placeholder from before reactivation
        list.Add(snapshot);
        var oldest = time.GetUtcNow() - options.Value.Retention;
        foreach (var (silo, snapshots) in _bySilo.ToArray())
        {
            snapshots.RemoveAll(s => s.Timestamp < oldest);
            if (snapshots.Count == 0)
            {
                _bySilo.Remove(silo);
            }
        }

        var isNew = !state.State.LastSeen.ContainsKey(snapshot.Silo);
        return isNew || time.GetUtcNow() - _saved >= SaveEvery ? SaveAsync() : Task.CompletedTask;
    }

    public async Task ForgetSiloAsync(string silo)
    {
        _bySilo.Remove(silo);
        await SaveAsync();
    }

    private async Task SaveAsync()
    {
        state.State.LastSeen = _bySilo.ToDictionary(p => p.Key, p => p.Value[^1].Timestamp, StringComparer.Ordinal);
        _saved = time.GetUtcNow();
        await state.WriteStateAsync();
    }

    private static MetricsSnapshot Placeholder(string silo, DateTimeOffset lastSeen) =>
        new(silo, lastSeen, 0, new Dictionary<string, OperationStats>(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    public Task<MetricsSummary> GetSummaryAsync(TimeSpan window)
    {
        var now = time.GetUtcNow();
        var recent = Recent(now, window).ToList();
        var seconds = Covered(recent, window);
        var operations = recent.SelectMany(s => s.Operations).GroupBy(o => o.Key).ToDictionary(
            group => group.Key,
            group =>
            {
                var merged = Merge(group.Select(g => g.Value));
                return new OperationSummary(
                    merged.Count, seconds > 0 ? merged.Count / seconds : 0, merged.Count > 0 ? (double)merged.Errors / merged.Count : 0,
                    merged.Count > 0 ? merged.SumSeconds / merged.Count * 1000 : null, Percentile(merged.Buckets, 0.95) * 1000);
            });
        var hits = recent.Sum(s => s.CacheHits);
        var lookups = hits + recent.Sum(s => s.CacheMisses);
        var silos = _bySilo.Select(pair => pair.Value[^1]).Select(last => new SiloSummary(
            last.Silo, last.Timestamp, last.CpuPercent, last.MemoryPercent, last.WorkingSetBytes, last.EmbeddingQueueLength, last.ThreadPoolQueueLength, last.Index))
            .OrderBy(s => s.Silo, StringComparer.Ordinal).ToArray();
        return Task.FromResult(new MetricsSummary(window.TotalSeconds, operations, lookups > 0 ? (double)hits / lookups : null, silos));
    }

    public Task<SeriesValue[]> QueryAsync(string metric, AlertAggregation aggregation, TimeSpan window, string? operation)
    {
        var now = time.GetUtcNow();
        if (!MetricCatalog.Metrics.TryGetValue(metric, out var known))
        {
            throw new ArgumentException($"Unknown metric '{metric}'.", nameof(metric));
        }

        if (known.PerSilo)
        {
            return Task.FromResult(_bySilo.Select(pair =>
            {
                var samples = pair.Value.Where(s => s.Timestamp > now - window && s.IntervalSeconds > 0).ToList();
                var values = samples.Select(s => SiloValue(metric, s)).ToList();
                var value = values.Count == 0 ? (double?)null : Aggregate(values, aggregation, window);
                return new SeriesValue(new Dictionary<string, string> { ["silo"] = pair.Key }, value, pair.Value[^1].Timestamp);
            }).ToArray());
        }

        var recent = Recent(now, window).ToList();
        if (_bySilo.Count == 0)
        {
            return Task.FromResult(Array.Empty<SeriesValue>());
        }

        if (MetricCatalog.PerCollection.Contains(metric))
        {
            return Task.FromResult(CollectionValues(metric, recent));
        }

        var lastSeen = _bySilo.Values.Max(list => list[^1].Timestamp);
        return Task.FromResult<SeriesValue[]>([new SeriesValue(new Dictionary<string, string>(), ClusterValue(metric, aggregation, recent, window, operation), lastSeen)]);
    }

    private static double? ClusterValue(string metric, AlertAggregation aggregation, List<MetricsSnapshot> recent, TimeSpan window, string? operation)
    {
        var seconds = Covered(recent, window);
        var merged = Merge(recent.SelectMany(s => s.Operations).Where(o => operation is null || o.Key == operation).Select(o => o.Value));
        double? Ratio(double part, double whole) => whole > 0 ? part / whole * 100 : null;
        double? CountValue(double count) => aggregation == AlertAggregation.Rate ? (seconds > 0 ? count / seconds : null) : count;
        return metric switch
        {
            "request_latency_seconds" => merged.Count == 0 ? null : aggregation switch
            {
                AlertAggregation.P95 => Percentile(merged.Buckets, 0.95),
                AlertAggregation.Max => Percentile(merged.Buckets, 1.0),
                AlertAggregation.Min => Percentile(merged.Buckets, 0.0),
                AlertAggregation.Sum => merged.SumSeconds,
                AlertAggregation.Rate => seconds > 0 ? merged.Count / seconds : null,
                _ => merged.SumSeconds / merged.Count,
            },
            "requests" => CountValue(merged.Count),
            "errors" => CountValue(merged.Errors),
            "error_percent" => Ratio(merged.Errors, merged.Count),
            "cache_hit_percent" => Ratio(recent.Sum(s => s.CacheHits), recent.Sum(s => s.CacheHits + s.CacheMisses)),
            "generation_fallback_percent" => Ratio(recent.Sum(s => s.GenerationFallbacks), recent.Sum(s => s.GenerationCalls)),
            "embedding_texts" => CountValue(recent.Sum(s => s.EmbeddingTexts)),
            _ => null,
        };
    }

    /// <summary>
    /// One series per collection that answered or was rated in the window (label collection = tenant/collection); its
    /// value is null below the metric's minimum volume.
    /// </summary>
    private static SeriesValue[] CollectionValues(string metric, List<MetricsSnapshot> recent)
    {
        var lastSeen = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var totals = new Dictionary<string, AnswerOutcomes>(StringComparer.Ordinal);
        foreach (var snapshot in recent)
        {
            foreach (var (key, outcomes) in snapshot.Answers ?? new Dictionary<string, AnswerOutcomes>())
            {
                totals[key] = totals.TryGetValue(key, out var held) ? held.Add(outcomes) : outcomes;
                lastSeen[key] = lastSeen.TryGetValue(key, out var seen) && seen > snapshot.Timestamp ? seen : snapshot.Timestamp;
            }
        }

        return [.. totals.OrderBy(p => p.Key, StringComparer.Ordinal).Select(pair =>
        {
            var (answers, noAnswers, up, down) = pair.Value;
            double? value = metric == "no_answer_percent"
                ? answers >= MetricCatalog.MinAnswers ? noAnswers * 100.0 / answers : null
                : up + down >= MetricCatalog.MinRatings ? down * 100.0 / (up + down) : null;
            // One label, "tenant/collection": a "tenant" label would route a cluster rule's alert to that tenant's silences.
            var labels = new Dictionary<string, string> { [MetricCatalog.CollectionLabel] = pair.Key };
            return new SeriesValue(labels, value, lastSeen[pair.Key]);
        })];
    }

    private static double SiloValue(string metric, MetricsSnapshot s) => metric switch
    {
        "cpu_percent" => s.CpuPercent,
        "memory_percent" => s.MemoryPercent,
        "working_set_bytes" => s.WorkingSetBytes,
        "embedding_queue_length" => s.EmbeddingQueueLength,
        "threadpool_queue_length" => s.ThreadPoolQueueLength,
        "gc_collections" => s.GcCollections,
        _ => 1, // heartbeat: one per snapshot
    };

    private static double Aggregate(List<double> values, AlertAggregation aggregation, TimeSpan window) => aggregation switch
    {
        AlertAggregation.Min => values.Min(),
        AlertAggregation.Max => values.Max(),
        AlertAggregation.Sum => values.Sum(),
        AlertAggregation.Rate => values.Sum() / window.TotalSeconds,
        AlertAggregation.P95 => values.Order().ElementAt((int)Math.Ceiling(0.95 * values.Count) - 1),
        _ => values.Average(),
    };

    private IEnumerable<MetricsSnapshot> Recent(DateTimeOffset now, TimeSpan window) =>
        _bySilo.Values.SelectMany(list => list.Where(s => s.Timestamp > now - window && s.IntervalSeconds > 0));

    /// <summary>The seconds the samples cover (the window, or less while history is shorter).</summary>
    private static double Covered(List<MetricsSnapshot> recent, TimeSpan window) =>
        recent.Count == 0 ? 0 : Math.Min(window.TotalSeconds, recent.GroupBy(s => s.Silo).Max(g => g.Sum(s => s.IntervalSeconds)));

    private static OperationStats Merge(IEnumerable<OperationStats> stats)
    {
        long count = 0, errors = 0;
        double sum = 0;
        var buckets = new long[MetricsChannel.BucketBounds.Length + 1];
        foreach (var s in stats)
        {
            count += s.Count;
            errors += s.Errors;
            sum += s.SumSeconds;
            for (var i = 0; i < buckets.Length && i < s.Buckets.Length; i++)
            {
                buckets[i] += s.Buckets[i];
            }
        }

        return new OperationStats(count, errors, sum, buckets);
    }

    /// <summary>The q-quantile from histogram buckets: the upper bound of the bucket it falls in (or of the last bound).</summary>
    public static double? Percentile(long[] buckets, double q)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        var total = buckets.Sum();
        if (total == 0)
        {
            return null;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(q * total));
        long seen = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            seen += buckets[i];
            if (seen >= rank)
            {
                return MetricsChannel.BucketBounds[Math.Min(i, MetricsChannel.BucketBounds.Length - 1)];
            }
        }

        return MetricsChannel.BucketBounds[^1];
    }
}

[GenerateSerializer, Alias("OrleansRag.Monitoring.MetricsGrainState")]
public sealed class MetricsGrainState
{
    /// <summary>When each silo last reported.</summary>
    [Id(0)]
    public Dictionary<string, DateTimeOffset> LastSeen { get; set; } = [];
}
