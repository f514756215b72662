using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansRag.Embedding;

/// <summary>
/// The silo's one ONNX session and the queue in front of it. Concurrent requests are pooled, sorted by token
/// length and cut into batches of up to <see cref="EmbeddingOptions.MaxBatchSize"/> texts of similar length,
/// so little compute is spent on padding. Inference runs on one dedicated thread; ONNX Runtime parallelises
/// inside each batch.
/// </summary>
public sealed partial class EmbeddingService : IHostedService, IDisposable
{
    private readonly EmbeddingOptions _options;
    private readonly ILogger<EmbeddingService> _logger;
    private readonly Channel<WorkItem> _queue = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource<OnnxEmbedder> _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private OnnxEmbedder? _embedder;
    private Task _worker = Task.CompletedTask;
    private long _queued;

    public EmbeddingService(IOptions<EmbeddingOptions> options, ILogger<EmbeddingService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>True once the model is loaded (for the readiness probe).</summary>
    public bool IsReady => _loaded.Task.IsCompletedSuccessfully;

    /// <summary>Texts waiting for inference.</summary>
    public long QueueLength => Interlocked.Read(ref _queued);

    /// <summary>The loaded model; waits for start-up to finish.</summary>
    public Task<OnnxEmbedder> GetModelAsync() => _loaded.Task;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        try
        {
            var embedder = OnnxEmbedder.Create(_options);
            _embedder = embedder;
            _loaded.TrySetResult(embedder);
            LogLoaded(embedder.Name, embedder.Dimensions, embedder.Pooling, (DateTime.UtcNow - started).TotalMilliseconds);
        }
        catch (Exception exception)
        {
            _loaded.TrySetException(exception);
            throw;
        }

        _worker = Task.Run(() => RunWorkerAsync(_embedder!), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        try
        {
            await _worker.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown is out of time (or not graceful): leave the batch in progress to the process's end.
        }
    }

    /// <summary>Embeds <paramref name="texts"/> and returns unit-length vectors plus their token counts.</summary>
    public async Task<EmbeddingBatch> EmbedAsync(IReadOnlyList<string> texts, EmbeddingKind kind, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        using var activity = RagTelemetry.ActivitySource.StartActivity("embed");
        activity?.SetTag("orleansrag.embedding.texts", texts.Count);
        activity?.SetTag("orleansrag.embedding.kind", kind.ToString());
        Monitoring.RagInstruments.Embedded(texts.Count);
        var model = await _loaded.Task.ConfigureAwait(false);
        var items = new WorkItem[texts.Count];
        for (var i = 0; i < texts.Count; i++)
        {
            items[i] = new WorkItem(model.Tokenize(texts[i] ?? "", kind));
            Interlocked.Increment(ref _queued);
            if (!_queue.Writer.TryWrite(items[i]))
            {
                throw new InvalidOperationException("The embedding service is shutting down.");
            }
        }

        var vectors = new float[items.Length][];
        var tokens = new int[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            vectors[i] = await items[i].Result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            tokens[i] = items[i].Ids.Length;
        }

        return new EmbeddingBatch(model.Name, vectors, tokens);
    }

    private async Task RunWorkerAsync(OnnxEmbedder model)
    {
        var reader = _queue.Reader;
        var pending = new List<WorkItem>(256);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (!reader.TryRead(out var first))
            {
                continue;
            }

            pending.Add(first);
            while (pending.Count < 1024 && reader.TryRead(out var next))
            {
                pending.Add(next);
            }

            pending.Sort(static (a, b) => a.Ids.Length.CompareTo(b.Ids.Length));
            foreach (var batch in Buckets(pending, _options.MaxBatchSize))
            {
                Run(model, batch);
            }

            pending.Clear();
        }
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

    private void Run(OnnxEmbedder model, List<WorkItem> batch)
    {
        try
        {
            var vectors = model.EmbedBatch(batch.Select(item => item.Ids).ToArray());
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Result.TrySetResult(vectors[i]);
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
            Interlocked.Add(ref _queued, -batch.Count);
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _embedder?.Dispose();
    }

    internal sealed class WorkItem(int[] ids)
    {
        public int[] Ids { get; } = ids;

        public TaskCompletionSource<float[]> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedding model {Model} loaded: {Dimensions} dimensions, {Pooling} pooling, in {ElapsedMs:F0} ms")]
    private partial void LogLoaded(string model, int dimensions, PoolingMode pooling, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Embedding batch of {Count} texts failed")]
    private partial void LogBatchFailed(Exception exception, int count);
}
