using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansRag.Embedding;

/// <summary>Which queue a text waits in: questions never wait behind ingestion.</summary>
public enum EmbeddingLane
{
    /// <summary>Question-time work (a question, a sentence of an old chunk): served first.</summary>
    Interactive,

    /// <summary>Ingestion batches: a batch starts only while no interactive text is waiting or running.</summary>
    Bulk,
}

/// <summary>A passage embedded as "heading text", with the character spans of its text's sentences.</summary>
public sealed record class Passage(string Heading, string Text, IReadOnlyList<(int Start, int Length)> Sentences);

/// <summary>
/// The silo's one ONNX session and the two queues in front of it. Concurrent requests are pooled, sorted by
/// token length and cut into batches of up to <see cref="EmbeddingOptions.MaxBatchSize"/> texts of similar
/// length, so little compute is spent on padding. Each lane has its own inference thread: interactive texts
/// (questions) run at once, beside a bulk batch already running, and no bulk batch starts while one waits or
/// runs, so a question waits for at most the bulk batch in flight and never for the ingestion backlog. ONNX
/// Runtime parallelises inside each batch. A caller's cancellation drops its texts that have not started.
/// </summary>
public sealed partial class EmbeddingService : IHostedService, IDisposable
{
    private readonly EmbeddingOptions _options;
    private readonly ILogger<EmbeddingService> _logger;
    private readonly Channel<WorkItem> _interactive = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<WorkItem> _bulk = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource<OnnxEmbedder> _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private TaskCompletionSource _interactiveIdle = Completed();
    private int _interactivePending;
    private OnnxEmbedder? _embedder;
    private Task _workers = Task.CompletedTask;
    private readonly Monitoring.RagInstruments _instruments;
    private long _queued;
    private long _bulkQueued;
    private long _interactiveTexts;
    private long _bulkTexts;

    /// <param name="options">The model and its lanes.</param>
    /// <param name="logger">Where loading and batching are logged.</param>
    /// <param name="instruments">The host's instruments (embedding calls and texts); a service of its own without.</param>
    public EmbeddingService(IOptions<EmbeddingOptions> options, ILogger<EmbeddingService> logger, Monitoring.RagInstruments? instruments = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        _instruments = instruments ?? Monitoring.RagInstruments.Standalone();
    }

    /// <summary>
    /// Texts per inference run. An int8 model runs each text alone: its activations are quantised with one scale per
    /// batch, so in a batch a text's vector would depend on the texts beside it (cosine down to 0.991 between the two),
    /// and alone it is also faster on CPU (no padding; measured by the embedders bench).
    /// </summary>
    private int BatchSize => _options.Quantized == true ? 1 : _options.MaxBatchSize;

    /// <summary>
    /// Runs at once per lane. An int8 model (without <see cref="EmbeddingOptions.IntraOpThreads"/> set) runs as many
    /// single texts at once as there are cores, each on one ONNX Runtime thread: small runs spend less on
    /// synchronising threads than on computing, so this is 1.2-1.6x the texts/s of one run on every core.
    /// </summary>
    private int Runs => _options.Quantized == true && _options.IntraOpThreads == 0 ? Environment.ProcessorCount : 1;

    /// <summary>True once the model is loaded (for the readiness probe).</summary>
    public bool IsReady => _loaded.Task.IsCompletedSuccessfully;

    /// <summary>Texts waiting for inference, both lanes.</summary>
    public long QueueLength => Interlocked.Read(ref _queued);

    /// <summary>Texts submitted to the interactive lane since start.</summary>
    public long InteractiveTexts => Interlocked.Read(ref _interactiveTexts);

    /// <summary>Texts submitted to the bulk lane since start.</summary>
    public long BulkTexts => Interlocked.Read(ref _bulkTexts);

    /// <summary>The loaded model; waits for start-up to finish.</summary>
    public Task<OnnxEmbedder> GetModelAsync() => _loaded.Task;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        try
        {
            var embedder = OnnxEmbedder.Create(_options, intraOpThreads: Runs > 1 ? 1 : null);
            _embedder = embedder;
            _loaded.TrySetResult(embedder);
            LogLoaded(embedder.Name, embedder.Dimensions, embedder.Pooling, (DateTime.UtcNow - started).TotalMilliseconds);
        }
        catch (Exception exception)
        {
            _loaded.TrySetException(exception);
            throw;
        }

        _workers = Task.WhenAll(
            Task.Run(() => RunWorkerAsync(_embedder!, _interactive.Reader, EmbeddingLane.Interactive), CancellationToken.None),
            Task.Run(() => RunWorkerAsync(_embedder!, _bulk.Reader, EmbeddingLane.Bulk), CancellationToken.None));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _interactive.Writer.TryComplete();
        _bulk.Writer.TryComplete();
        try
        {
            await _workers.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown is out of time (or not graceful): leave the batch in progress to the process's end.
        }
    }

    /// <summary>
    /// Embeds <paramref name="texts"/> and returns unit-length vectors plus their token counts; queries go to
    /// the interactive lane, documents to the bulk lane.
    /// </summary>
    public Task<EmbeddingBatch> EmbedAsync(IReadOnlyList<string> texts, EmbeddingKind kind, CancellationToken cancellationToken = default) =>
        EmbedAsync(texts, kind, kind == EmbeddingKind.Query ? EmbeddingLane.Interactive : EmbeddingLane.Bulk, cancellationToken);

    /// <summary>Embeds <paramref name="texts"/> in <paramref name="lane"/>.</summary>
    public async Task<EmbeddingBatch> EmbedAsync(IReadOnlyList<string> texts, EmbeddingKind kind, EmbeddingLane lane, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        using var activity = RagTelemetry.ActivitySource.StartActivity("embed");
        activity?.SetTag("orleansrag.embedding.texts", texts.Count);
        activity?.SetTag("orleansrag.embedding.kind", kind.ToString());
        var model = await _loaded.Task.ConfigureAwait(false);
        var items = new WorkItem[texts.Count];
        for (var i = 0; i < texts.Count; i++)
        {
            items[i] = new WorkItem(model.Tokenize(texts[i] ?? "", kind), null, cancellationToken);
        }

        var outputs = await RunAsync(items, lane, cancellationToken).ConfigureAwait(false);
        return new EmbeddingBatch(model.Name, [.. outputs.Select(o => o.Vector)], [.. items.Select(item => item.Ids.Length)]);
    }

    /// <summary>
    /// Embeds passages for ingestion (bulk lane): each passage's vector, exactly as <see cref="EmbedAsync(IReadOnlyList{string}, EmbeddingKind, CancellationToken)"/>
    /// gives for "heading text", and a vector per sentence pooled from the same forward pass
    /// (<see cref="EmbeddingOutput.SpanVectors"/>, aligned with <see cref="Passage.Sentences"/>; null when the
    /// sentences could not be placed).
    /// </summary>
    public async Task<EmbeddingOutput[]> EmbedPassagesAsync(IReadOnlyList<Passage> passages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(passages);
        using var activity = RagTelemetry.ActivitySource.StartActivity("embed");
        activity?.SetTag("orleansrag.embedding.texts", passages.Count);
        activity?.SetTag("orleansrag.embedding.kind", nameof(EmbeddingKind.Document));
        var model = await _loaded.Task.ConfigureAwait(false);
        var items = new WorkItem[passages.Count];
        for (var i = 0; i < passages.Count; i++)
        {
            var (ids, spans) = model.EncodePassage(passages[i].Heading, passages[i].Text, passages[i].Sentences);
            items[i] = new WorkItem(ids, spans, cancellationToken);
        }

        return await RunAsync(items, EmbeddingLane.Bulk, cancellationToken).ConfigureAwait(false);
    }

    private async Task<EmbeddingOutput[]> RunAsync(WorkItem[] items, EmbeddingLane lane, CancellationToken cancellationToken)
    {
        var queue = lane == EmbeddingLane.Interactive ? _interactive : _bulk;
        if (lane == EmbeddingLane.Interactive)
        {
            EnterInteractive(items.Length);
        }

        if (lane == EmbeddingLane.Bulk && Interlocked.Add(ref _bulkQueued, items.Length) > _options.MaxQueuedTexts && items.Length < Interlocked.Read(ref _bulkQueued))
        {
            // Full (a batch larger than the whole bound is let through alone, or it could never run).
            Interlocked.Add(ref _bulkQueued, -items.Length);
            throw new EmbeddingQueueFullException(
                $"The embedding queue holds {Interlocked.Read(ref _bulkQueued)} document texts (Embedding:MaxQueuedTexts is {_options.MaxQueuedTexts}); retry shortly.");
        }

        _instruments.Embedded(items.Length);
        Interlocked.Add(ref lane == EmbeddingLane.Interactive ? ref _interactiveTexts : ref _bulkTexts, items.Length);
        Interlocked.Add(ref _queued, items.Length);
        for (var i = 0; i < items.Length; i++)
        {
            if (!queue.Writer.TryWrite(items[i]))
            {
                for (var unsent = i; unsent < items.Length; unsent++)
                {
                    Finish(items[unsent], lane);
                }

                throw new InvalidOperationException("The embedding service is shutting down.");
            }
        }

        var outputs = new EmbeddingOutput[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            outputs[i] = await items[i].Result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return outputs;
    }

    private async Task RunWorkerAsync(OnnxEmbedder model, ChannelReader<WorkItem> reader, EmbeddingLane lane)
    {
        var pending = new List<WorkItem>(256);
        using var slots = new SemaphoreSlim(Runs);
        var running = new List<Task>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (pending.Count < 1024 && reader.TryRead(out var next))
            {
                if (next.CancellationToken.IsCancellationRequested)
                {
                    next.Result.TrySetCanceled(next.CancellationToken);
                    Finish(next, lane);
                }
                else
                {
                    pending.Add(next);
                }
            }

            pending.Sort(static (a, b) => a.Ids.Length.CompareTo(b.Ids.Length));
            foreach (var batch in Buckets(pending, BatchSize))
            {
                if (lane == EmbeddingLane.Bulk)
                {
                    await InteractiveIdle().ConfigureAwait(false);
                }

                if (Runs == 1)
                {
                    Run(model, batch, lane);
                    continue;
                }

                await slots.WaitAsync().ConfigureAwait(false);
                running.RemoveAll(task => task.IsCompleted);
                running.Add(Task.Run(() =>
                {
                    try
                    {
                        Run(model, batch, lane);
                    }
                    finally
                    {
                        slots.Release();
                    }
                }));
            }

            pending.Clear();
        }

        await Task.WhenAll(running).ConfigureAwait(false); // shutting down: the runs in flight finish first
    }

    /// <summary>Cuts a length-sorted list into batches whose longest text is at most ~1.25x the shortest.</summary>
    internal static IEnumerable<List<WorkItem>> Buckets(List<WorkItem> sorted, int maxBatch)
    {
        var batch = new List<WorkItem>(maxBatch);
        foreach (var item in sorted)
        {
            if (batch.Count > 0 && (batch.Count == maxBatch || item.Ids.Length > batch[0].Ids.Length * 5 / 4 + 8))
            {
                yield return batch;
                batch = new List<WorkItem>(maxBatch);
            }

            batch.Add(item);
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    private void Run(OnnxEmbedder model, List<WorkItem> batch, EmbeddingLane lane)
    {
        batch.RemoveAll(item =>
        {
            if (!item.CancellationToken.IsCancellationRequested)
            {
                return false;
            }

            item.Result.TrySetCanceled(item.CancellationToken);
            Finish(item, lane);
            return true;
        });
        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            var outputs = model.EmbedBatch([.. batch.Select(item => item.Ids)], [.. batch.Select(item => item.TokenSpans)]);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Result.TrySetResult(outputs[i]);
            }
        }
        catch (Exception exception)
        {
            LogBatchFailed(exception, batch.Count);
            foreach (var item in batch)
            {
                item.Result.TrySetException(exception);
            }
        }
        finally
        {
            foreach (var item in batch)
            {
                Finish(item, lane);
            }
        }
    }

    private void Finish(WorkItem item, EmbeddingLane lane)
    {
        Interlocked.Decrement(ref _queued);
        if (lane == EmbeddingLane.Interactive)
        {
            LeaveInteractive(1);
        }
        else
        {
            Interlocked.Decrement(ref _bulkQueued);
        }
    }

    private void EnterInteractive(int count)
    {
        lock (_gate)
        {
            if (_interactivePending == 0)
            {
                _interactiveIdle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            _interactivePending += count;
        }
    }

    private void LeaveInteractive(int count)
    {
        TaskCompletionSource? idle = null;
        lock (_gate)
        {
            _interactivePending -= count;
            if (_interactivePending == 0)
            {
                idle = _interactiveIdle;
            }
        }

        idle?.TrySetResult();
    }

    private Task InteractiveIdle()
    {
        lock (_gate)
        {
            return _interactiveIdle.Task;
        }
    }

    private static TaskCompletionSource Completed()
    {
        var source = new TaskCompletionSource();
        source.SetResult();
        return source;
    }

    public void Dispose()
    {
        _interactive.Writer.TryComplete();
        _bulk.Writer.TryComplete();
        _embedder?.Dispose();
    }

    internal sealed class WorkItem(int[] ids, int[]? tokenSpans, CancellationToken cancellationToken)
    {
        public int[] Ids { get; } = ids;

        public int[]? TokenSpans { get; } = tokenSpans;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource<EmbeddingOutput> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedding model {Model} loaded: {Dimensions} dimensions, {Pooling} pooling, in {ElapsedMs:F0} ms")]
    private partial void LogLoaded(string model, int dimensions, PoolingMode pooling, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Embedding batch of {Count} texts failed")]
    private partial void LogBatchFailed(Exception exception, int count);
}
