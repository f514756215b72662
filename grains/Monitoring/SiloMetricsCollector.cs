using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using OrleansRag.Embedding;
using OrleansRag.Hosting;
using OrleansRag.Retrieval;

namespace OrleansRag.Monitoring;

/// <summary>
/// Aggregates this silo's OrleansRag instruments (through a <see cref="MeterListener"/>) into one
/// <see cref="MetricsSnapshot"/> per interval, adds process gauges (CPU %, working set and % of the memory limit,
/// GC, thread-pool queue), and publishes it on the metrics stream. Also exports those gauges to OpenTelemetry.
/// </summary>
public sealed partial class SiloMetricsCollector : BackgroundService, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly object _gate = new();
    private readonly MeterListener _listener = new();
    private readonly Meter _meter;
    private readonly Meter _collections;
    private readonly IOptions<MonitoringOptions> _options;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILocalSiloDetails _silo;
    private readonly IClusterClient _cluster;
    private readonly ShardMemoryLedger _ledger;
    private readonly EmbeddingModels _embeddings;
    private readonly TimeProvider _time;
    private readonly ILogger<SiloMetricsCollector> _logger;
    private readonly Process _process = Process.GetCurrentProcess();
    private Dictionary<string, OperationAccumulator> _operations = [];
    private Dictionary<string, AnswerOutcomes> _answers = new(StringComparer.Ordinal);
    private long _cacheHits, _cacheMisses, _embeddingCalls, _embeddingTexts, _generationCalls, _generationFallbacks;
    private TimeSpan _lastCpu;
    private long _lastCpuAt;
    private int _lastGc;
    private double _cpuPercent;

    public SiloMetricsCollector(IOptions<MonitoringOptions> options, RagInstruments instruments, ShardMemoryLedger ledger, EmbeddingModels embeddings,
        IHostApplicationLifetime lifetime, ILocalSiloDetails silo, IClusterClient cluster, TimeProvider time, ILogger<SiloMetricsCollector> logger)
    {
        ArgumentNullException.ThrowIfNull(instruments);
        _options = options;
        _meter = instruments.Meter;
        _collections = instruments.CollectionMeter;
        _ledger = ledger;
        _embeddings = embeddings;
        _lifetime = lifetime;
        _silo = silo;
        _cluster = cluster;
        _time = time;
        _logger = logger;
        _lastCpu = _process.TotalProcessorTime;
        _lastCpuAt = Stopwatch.GetTimestamp();
        _lastGc = TotalCollections();

        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, _meter) && instrument.Name is RagInstruments.Requests or RagInstruments.RequestDuration
                    or RagInstruments.CacheRequests or RagInstruments.EmbeddingCalls or RagInstruments.EmbeddingTexts
                    or RagInstruments.GenerationCalls or RagInstruments.GenerationFallbacks
                || ReferenceEquals(instrument.Meter, _collections) && instrument.Name is RagInstruments.CollectionAnswers or RagInstruments.CollectionFeedback)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnLong);
        _listener.SetMeasurementEventCallback<double>(OnDouble);
        _listener.Start();

        _meter.CreateObservableGauge("orleansrag.process.cpu.utilization", () => _cpuPercent, "%", "CPU used by the silo process, % of all cores.");
        _meter.CreateObservableGauge("orleansrag.process.memory.working_set", () => Environment.WorkingSet, "By", "Working set of the silo process.");
        _meter.CreateObservableGauge("orleansrag.process.memory.utilization", MemoryPercent, "%", "Working set as % of the memory limit (container or machine).");
        _meter.CreateObservableGauge("orleansrag.threadpool.queue_length", () => ThreadPool.PendingWorkItemCount, "{work_item}", "Work items waiting for the thread pool.");
        _meter.CreateObservableGauge("orleansrag.index.memory", () => _ledger.TotalBytes, "By", "Memory the retrieval shards on this silo hold (estimated by each shard).");
        _meter.CreateObservableGauge("orleansrag.index.memory.budget", () => _ledger.BudgetBytes, "By", "The silo's index memory budget (Retrieval:MemoryBudgetMiB); writes beyond it get 507.");
        _meter.CreateObservableGauge("orleansrag.embedding.queue_length", () => _embeddings.QueueLength, "{text}", "Texts waiting for the embedding models.");
    }

    /// <summary>Takes the interval's aggregate and starts the next one.</summary>
    public MetricsSnapshot TakeSnapshot(string silo, TimeSpan interval)
    {
        Dictionary<string, OperationAccumulator> operations;
        Dictionary<string, AnswerOutcomes> answers;
        long hits, misses, calls, texts, generations, fallbacks;
        lock (_gate)
        {
            (operations, _operations) = (_operations, []);
            (answers, _answers) = (_answers, new Dictionary<string, AnswerOutcomes>(StringComparer.Ordinal));
            (hits, misses, calls, texts, generations, fallbacks) = (_cacheHits, _cacheMisses, _embeddingCalls, _embeddingTexts, _generationCalls, _generationFallbacks);
            _cacheHits = _cacheMisses = _embeddingCalls = _embeddingTexts = _generationCalls = _generationFallbacks = 0;
        }

        var cpu = _process.TotalProcessorTime;
        var now = Stopwatch.GetTimestamp();
        var elapsed = Stopwatch.GetElapsedTime(_lastCpuAt, now);
        _cpuPercent = elapsed > TimeSpan.Zero ? Math.Clamp((cpu - _lastCpu) / (elapsed * Environment.ProcessorCount) * 100, 0, 100) : 0;
        (_lastCpu, _lastCpuAt) = (cpu, now);
        var gc = TotalCollections();
        var collections = gc - _lastGc;
        _lastGc = gc;

        return new MetricsSnapshot(
            silo, _time.GetUtcNow(), interval.TotalSeconds,
            operations.ToDictionary(o => o.Key, o => new OperationStats(o.Value.Count, o.Value.Errors, o.Value.Sum, o.Value.Buckets)),
            hits, misses, calls, texts, _embeddings.QueueLength, generations, fallbacks,
            _cpuPercent, Environment.WorkingSet, MemoryPercent(), collections, ThreadPool.PendingWorkItemCount, IndexMemory(), answers.Count == 0 ? null : answers);
    }

    /// <summary>The shards on this silo against its budget.</summary>
    private IndexMemory IndexMemory()
    {
        var shards = _ledger.Shards;
        return new IndexMemory(_ledger.BudgetBytes, shards.Sum(s => s.TotalBytes), shards.Sum(s => (long)s.Chunks), shards.Count, [.. shards.Take(Monitoring.IndexMemory.LargestListed)]);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = _options.Value;
        if (!options.Enabled)
        {
            return;
        }

        // Publish once the silo serves: the stream's pub-sub needs the cluster.
        await _lifetime.WaitUntilStartedAsync(stoppingToken);
        var silo = _silo.SiloAddress.ToString();
        var stream = _cluster.GetStreamProvider(RagConstants.StreamProvider)
            .GetStream<MetricsSnapshot>(StreamId.Create(MetricsChannel.Namespace, MetricsChannel.Key));
        using var timer = new PeriodicTimer(options.Interval, _time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await stream.OnNextAsync(TakeSnapshot(silo, options.Interval)).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogPublishFailed(exception);
            }
        }
    }

    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(nameof(SiloMetricsCollector), ServiceLifecycleStage.Active, _ => Task.CompletedTask, SayGoodbyeAsync);
    }

    /// <summary>
    /// A graceful shutdown (the token is not cancelled yet) ends this silo's series, so that scaling down raises no
    /// "no data" alert; a silo that dies (or is killed) says nothing, and its silence is what the alert is for.
    /// </summary>
    private async Task SayGoodbyeAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested || !_options.Value.Enabled)
        {
            return;
        }

        try
        {
            await _cluster.GetGrain<IMetricsGrain>(MetricsChannel.Key).ForgetSiloAsync(_silo.SiloAddress.ToString()).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            LogPublishFailed(exception);
        }
    }

    public override void Dispose()
    {
        _listener.Dispose();
        _process.Dispose();
        base.Dispose();
    }

    private static int TotalCollections() => GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);

    private static double MemoryPercent()
    {
        var limit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes; // honours container limits
        return limit > 0 ? Environment.WorkingSet * 100.0 / limit : 0;
    }

    private void OnLong(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        lock (_gate)
        {
            switch (instrument.Name)
            {
                case RagInstruments.Requests:
                    var operation = Operation(tags);
                    operation.Count += value;
                    operation.Errors += Tag(tags, "outcome") == "error" ? value : 0;
                    break;
                case RagInstruments.CacheRequests when Tag(tags, "result") == "hit":
                    _cacheHits += value;
                    break;
                case RagInstruments.CacheRequests:
                    _cacheMisses += value;
                    break;
                case RagInstruments.EmbeddingCalls:
                    _embeddingCalls += value;
                    break;
                case RagInstruments.EmbeddingTexts:
                    _embeddingTexts += value;
                    break;
                case RagInstruments.GenerationCalls:
                    _generationCalls += value;
                    break;
                case RagInstruments.GenerationFallbacks:
                    _generationFallbacks += value;
                    break;
                case RagInstruments.CollectionAnswers:
                    var noAnswer = Tag(tags, "outcome") == "no_answer" ? value : 0;
                    AddAnswers(tags, new AnswerOutcomes(value, noAnswer, 0, 0));
                    break;
                case RagInstruments.CollectionFeedback:
                    var up = Tag(tags, "rating") == "up";
                    AddAnswers(tags, new AnswerOutcomes(0, 0, up ? value : 0, up ? 0 : value));
                    break;
            }
        }
    }

    private void OnDouble(Instrument instrument, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (instrument.Name != RagInstruments.RequestDuration)
        {
            return;
        }

        var bucket = Array.FindIndex(MetricsChannel.BucketBounds, bound => seconds <= bound);
        lock (_gate)
        {
            var operation = Operation(tags);
            operation.Buckets[bucket < 0 ? MetricsChannel.BucketBounds.Length : bucket]++;
            operation.Sum += seconds;
        }
    }

    /// <summary>Adds to this interval's outcomes of the measurement's collection (call under the lock).</summary>
    private void AddAnswers(ReadOnlySpan<KeyValuePair<string, object?>> tags, AnswerOutcomes outcomes)
    {
        var key = Tag(tags, "collection") ?? "";
        _answers[key] = _answers.TryGetValue(key, out var held) ? held.Add(outcomes) : outcomes;
    }

    /// <summary>This interval's accumulator of the measurement's operation (call under the lock).</summary>
    private OperationAccumulator Operation(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var name = Tag(tags, "operation") ?? "unknown";
        if (!_operations.TryGetValue(name, out var operation))
        {
            _operations[name] = operation = new OperationAccumulator();
        }

        return operation;
    }

    private sealed class OperationAccumulator
    {
        public long Count { get; set; }

        public long Errors { get; set; }

        public double Sum { get; set; }

        public long[] Buckets { get; } = new long[MetricsChannel.BucketBounds.Length + 1];
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value as string;
            }
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing this silo's metrics failed; the next interval tries again")]
    private partial void LogPublishFailed(Exception exception);
}
