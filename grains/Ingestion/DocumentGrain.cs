using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using OrleansRag.Ingestion.Pipeline;
using OrleansRag.Monitoring;
using OrleansRag.Retrieval;

namespace OrleansRag.Ingestion;

/// <summary>
/// Owns one document: its identity, the version it serves, the status of the latest one sent, and the order of
/// writes. The work itself is the <see cref="IngestionPipeline"/> (extract → normalise → chunk → embed → index);
/// this grain commits: the shard switches the new version in at once, then the collection's version is
/// bumped, then the document record is written, so a retry after any failed step completes the ingest.
/// Small text runs while the caller waits; files and large texts are kept in the source store, recorded as a
/// job, processed by a grain timer that interleaves with calls (so status reads answer at once), retried
/// with backoff after transient failures and resumed by a reminder after the silo that ran them died.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "A SemaphoreSlim whose wait handle is never asked for holds nothing to dispose.")]
[GrainType("document")] // the name the convention gave it: stored state and reminders are keyed by it, so a rename of the class must not change it
public sealed partial class DocumentGrain(
    [PersistentState("document", RagConstants.StorageName)] IPersistentState<DocumentState> state,
    IngestionPipeline pipeline,
    IDocumentSourceStore sources,
    IStorageGeneration storage,
    IOptions<IngestionOptions> options,
    TimeProvider time,
    ILogger<DocumentGrain> logger) : Grain, IDocumentGrain, IRemindable
{
    private const string ReminderName = "ingest";

    /// <summary>Resumes jobs whose silo died; the timer does the work while the grain is alive.</summary>
    private static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);

    private readonly IngestionOptions _options = options.Value;

    /// <summary>Serialises commits and state writes between calls and the interleaving background worker.</summary>
    private readonly SemaphoreSlim _writes = new(1, 1);

    private IGrainTimer? _timer;
    private bool _working;
    private bool _rescan;
    private string? _stage;

    private string Key => this.GetPrimaryKeyString();

    private (string CollectionKey, string DocumentId) Parts => GrainKeys.SplitLast(Key);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Job is { Status: DocumentStatus.Queued or DocumentStatus.Processing } job)
        {
            // A job that was processing when its silo stopped is queued again (its attempt has been counted).
            job.Status = DocumentStatus.Queued;
            Schedule(Delay(job));
        }

        return Task.CompletedTask;
    }

    public Task<IngestResult> UpsertAsync(DocumentInput document, CancellationToken cancellationToken = default) =>
        RagInstruments.TrackAsync("ingest", () => UpsertCoreAsync(document, cancellationToken), cancellationToken);

    public async Task UploadPartAsync(string uploadId, long offset, byte[] data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckUploadId(uploadId);
        if (offset < 0 || offset + data.LongLength > _options.MaxDocumentBytes)
        {
            throw TooLarge(offset + data.LongLength);
        }

        await sources.AppendAsync(SourceKey(uploadId), offset, data, cancellationToken);
    }

    public Task<IngestResult> SubmitUploadAsync(string uploadId, DocumentUpload upload, long length, CancellationToken cancellationToken = default) =>
        RagInstruments.TrackAsync("ingest", () => SubmitUploadCoreAsync(uploadId, upload, length, cancellationToken), cancellationToken);

    public Task<DocumentInfo?> GetAsync()
    {
        var s = state.State;
        var job = s.Job;
        if (!s.Exists && job is null)
        {
            return Task.FromResult<DocumentInfo?>(null);
        }

        var (collectionKey, documentId) = Parts;
        var collection = GrainKeys.CollectionName(collectionKey);
        var status = job?.Status ?? DocumentStatus.Ready;
        var stage = status == DocumentStatus.Processing ? _stage : null;
        var silo = status == DocumentStatus.Processing ? RuntimeIdentity : null;
        DateTimeOffset? next = job is { Status: DocumentStatus.Queued, Attempts: > 0 } ? job.NextAttemptAt : null;
        return Task.FromResult<DocumentInfo?>(s.Exists
            ? new DocumentInfo(collection, documentId, s.Title, s.ContentType, s.Metadata, s.Text, s.ChunkCount, s.ContentHash, s.CreatedAt, s.UpdatedAt,
                status, job?.Error, job?.Attempts ?? s.Attempts, next, stage, s.PageCount, s.SourceBytes, Searchable: true, silo)
            : new DocumentInfo(collection, documentId, job!.Title ?? documentId, job.ContentType, job.Metadata, null, 0, job.ContentHash, job.SubmittedAt, job.SubmittedAt,
                status, job.Error, job.Attempts, next, stage, null, job.SourceBytes, Searchable: false, silo));
    }

    public async Task<bool> DeleteAsync(CancellationToken cancellationToken = default)
    {
        var (collectionKey, documentId) = Parts;
        IngestJob? job;
        await storage.EnsureIntactAsync(cancellationToken);
        await _writes.WaitAsync(cancellationToken);
        try
        {
            var current = state.State;
            if (!current.Exists && current.Job is null)
            {
                return false;
            }

            job = current.Job;
            var wasSearchable = await (await ShardAsync()).RemoveDocumentAsync(documentId, cancellationToken);
            try
            {
                await state.ClearStateAsync(cancellationToken);
            }
            catch
            {
                current.ContentHash = ""; // the shard no longer has it: the same content again must be ingested anew
                state.State = current;
                throw;
            }

            state.State = new DocumentState();
            await GrainFactory.GetGrain<ICollectionGrain>(collectionKey).ContentChangedAsync(wasSearchable ? -1 : 0);
        }
        finally
        {
            _writes.Release();
        }

        if (job is not null)
        {
            await AbandonAsync(job);
        }

        await ForgetReminderAsync();
        LogDeleted(collectionKey, documentId);
        return true;
    }

    public Task<IndexedChunk[]> GetChunksAsync()
    {
        if (!state.State.Exists)
        {
            return Task.FromResult<IndexedChunk[]>([]);
        }

        return ShardGrain(Parts.CollectionKey, state.State.Shard).GetDocumentChunksAsync(Parts.DocumentId);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (state.State.Job is { Status: DocumentStatus.Queued or DocumentStatus.Processing } job)
        {
            if (!_working)
            {
                Schedule(Delay(job));
            }
        }
        else
        {
            await ForgetReminderAsync();
        }
    }

    private async Task<IngestResult> UpsertCoreAsync(DocumentInput document, CancellationToken cancellationToken)
    {
        RagValidation.ThrowIfInvalid(RagValidation.CheckDocument(document), nameof(document));
        var bytes = Encoding.UTF8.GetBytes(document.Text);
        if (bytes.Length > _options.MaxDocumentBytes)
        {
            throw TooLarge(bytes.Length);
        }

        var contentType = ContentTypes.Normalize(document.ContentType);
        var metadata = Copy(document.Metadata);
        var hash = ContentHash(bytes, document.Title, contentType, metadata);
        await storage.EnsureIntactAsync(cancellationToken); // what this grain holds in memory must still be stored
        if (Unchanged(hash) is { } unchanged)
        {
            return unchanged;
        }

        if (bytes.Length <= _options.SyncMaxBytes)
        {
            return await IngestNowAsync(bytes, contentType, document.Title, metadata, hash, document.Text, cancellationToken);
        }

        // Too large to ingest while the caller waits: kept as a source like an uploaded file.
        var uploadId = Guid.NewGuid().ToString("N");
        pipeline.Check(contentType, bytes);
        await sources.AppendAsync(SourceKey(uploadId), 0, bytes, cancellationToken);
        return await EnqueueAsync(uploadId, contentType, document.Title, metadata, hash, bytes.Length, cancellationToken);
    }

    private async Task<IngestResult> SubmitUploadCoreAsync(string uploadId, DocumentUpload upload, long length, CancellationToken cancellationToken)
    {
        CheckUploadId(uploadId);
        RagValidation.ThrowIfInvalid(RagValidation.CheckUpload(upload), nameof(upload));
        if (length > _options.MaxDocumentBytes)
        {
            throw TooLarge(length);
        }

        var contentType = ContentTypes.Normalize(upload.ContentType);
        var sourceKey = SourceKey(uploadId);
        var bytes = await sources.ReadAsync(sourceKey, cancellationToken) ?? (length == 0 ? [] : null);
        if (bytes is null || bytes.LongLength != length)
        {
            throw new DocumentRejectedException($"Upload {uploadId} holds {bytes?.LongLength ?? 0} bytes, not the {length} announced; send the file again.");
        }

        if (bytes.Length == 0)
        {
            throw new DocumentRejectedException("The document is empty.");
        }

        try
        {
            pipeline.Check(contentType, bytes);
        }
        catch (DocumentRejectedException)
        {
            await sources.DeleteAsync(sourceKey, cancellationToken);
            throw;
        }

        var metadata = Copy(upload.Metadata);
        var hash = ContentHash(bytes, upload.Title, contentType, metadata);
        await storage.EnsureIntactAsync(cancellationToken);
        if (Unchanged(hash) is { } unchanged)
        {
            await sources.DeleteAsync(sourceKey, cancellationToken);
            return unchanged;
        }

        if (ContentTypes.Find(contentType) is { IsText: true } && bytes.Length <= _options.SyncMaxBytes)
        {
            var result = await IngestNowAsync(bytes, contentType, upload.Title, metadata, hash, text: null, cancellationToken);
            await sources.DeleteAsync(sourceKey, cancellationToken);
            return result;
        }

        return await EnqueueAsync(uploadId, contentType, upload.Title, metadata, hash, bytes.Length, cancellationToken);
    }

    /// <summary>The answer to a submission whose content is served already, or is already on its way.</summary>
    private IngestResult? Unchanged(string hash)
    {
        var (collectionKey, documentId) = Parts;
        var collection = GrainKeys.CollectionName(collectionKey);
        var current = state.State;
        if (current.Job is { Status: DocumentStatus.Queued or DocumentStatus.Processing } job)
        {
            return job.ContentHash == hash ? new IngestResult(collection, documentId, IngestStatus.Accepted, 0, hash, job.Status) : null;
        }

        return current.Exists && current.Job is null && current.ContentHash == hash
            ? new IngestResult(collection, documentId, IngestStatus.Unchanged, current.ChunkCount, hash)
            : null;
    }

    /// <summary>The synchronous path: the pipeline runs within this call, then the commit.</summary>
    private async Task<IngestResult> IngestNowAsync(byte[] bytes, string contentType, string? title, Dictionary<string, MetadataValue> metadata, string hash, string? text, CancellationToken cancellationToken)
    {
        var (collectionKey, documentId) = Parts;
        var info = await GrainFactory.GetGrain<ICollectionGrain>(collectionKey).EnsureCreatedAsync();
        var shard = ShardRouter.ShardFor(documentId, info.ShardCount);
        var version = NewVersion();
        var request = new PipelineRequest(documentId, bytes, contentType, title, info.ChunkTokens ?? _options.ChunkTokens, info.ChunkOverlapTokens ?? _options.ChunkOverlapTokens);
        var result = await pipeline.RunAsync(request, new ShardSink(ShardGrain(collectionKey, shard), documentId, version), stage: null, cancellationToken);

        await _writes.WaitAsync(cancellationToken);
        IngestJob? superseded;
        IngestStatus status;
        try
        {
            superseded = state.State.Job;
            status = await CommitAsync(result, version, shard, contentType, metadata, hash, text, bytes.Length, attempts: 1, cancellationToken);
        }
        finally
        {
            _writes.Release();
        }

        if (superseded is not null)
        {
            await AbandonAsync(superseded);
        }

        return new IngestResult(GrainKeys.CollectionName(collectionKey), documentId, status, result.ChunkCount, hash);
    }

    /// <summary>
    /// Commit, in an order that a retry can always complete: the shard switches the version in (durable and
    /// searchable at once), the collection's version is bumped (answer caches see the change), then the
    /// document record is written. Runs under <see cref="_writes"/>.
    /// </summary>
    private async Task<IngestStatus> CommitAsync(PipelineResult result, string version, int shard, string contentType,
        Dictionary<string, MetadataValue> metadata, string hash, string? text, long sourceBytes, int attempts, CancellationToken cancellationToken)
    {
        var (collectionKey, documentId) = Parts;
        var current = state.State;
        var now = time.GetUtcNow();
        var summary = new DocumentSummary(documentId, result.Title, contentType, result.ChunkCount, hash, now, DocumentStatus.Ready, null, result.PageCount);
        // Once the shard has switched, the commit runs to its end: a cancelled caller must not leave record and shard apart.
        cancellationToken = CancellationToken.None;
        try
        {
            await ShardGrain(collectionKey, shard).CommitDocumentAsync(new ShardCommit(summary, metadata, version, result.Parts, result.Chunks), cancellationToken);
        }
        catch
        {
            current.ContentHash = ""; // the shard may hold the new version: never answer "unchanged" until a retry completes
            throw;
        }

        await GrainFactory.GetGrain<ICollectionGrain>(collectionKey).ContentChangedAsync(current.Exists ? 0 : 1);

        state.State = new DocumentState
        {
            Exists = true,
            Title = result.Title,
            ContentType = contentType,
            Metadata = metadata,
            Text = text,
            ContentHash = hash,
            ChunkCount = result.ChunkCount,
            Shard = shard,
            CreatedAt = current.Exists ? current.CreatedAt : now,
            UpdatedAt = now,
            Version = version,
            PageCount = result.PageCount,
            SourceBytes = sourceBytes,
            Attempts = attempts,
        };
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch
        {
            current.ContentHash = ""; // not durable, and the shard serves the new version: a retry must not see "unchanged"
            state.State = current;
            throw;
        }

        LogIngested(collectionKey, documentId, result.ChunkCount, result.Parts);
        return current.Exists ? IngestStatus.Updated : IngestStatus.Created;
    }

    private async Task<IngestResult> EnqueueAsync(string uploadId, string contentType, string? title, Dictionary<string, MetadataValue> metadata, string hash, long length, CancellationToken cancellationToken)
    {
        var (collectionKey, documentId) = Parts;
        var info = await GrainFactory.GetGrain<ICollectionGrain>(collectionKey).EnsureCreatedAsync();
        var job = new IngestJob
        {
            Id = NewVersion(),
            SourceKey = SourceKey(uploadId),
            ContentType = contentType,
            Title = string.IsNullOrWhiteSpace(title) ? null : title.Trim(),
            Metadata = metadata,
            ContentHash = hash,
            SourceBytes = length,
            Status = DocumentStatus.Queued,
            SubmittedAt = time.GetUtcNow(),
            NextAttemptAt = time.GetUtcNow(),
        };

        IngestJob? superseded;
        await _writes.WaitAsync(cancellationToken);
        try
        {
            superseded = state.State.Job;
            state.State.Job = job;
            try
            {
                await state.WriteStateAsync(cancellationToken);
            }
            catch
            {
                state.State.Job = superseded;
                throw;
            }
        }
        finally
        {
            _writes.Release();
        }

        if (superseded is not null)
        {
            await AbandonAsync(superseded);
        }

        Schedule(TimeSpan.Zero);
        await this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod, cancellationToken);
        await ShardGrain(collectionKey, ShardRouter.ShardFor(documentId, info.ShardCount)).SetStatusAsync(JobSummary(job), cancellationToken);
        LogQueued(collectionKey, documentId, contentType, length);
        return new IngestResult(GrainKeys.CollectionName(collectionKey), documentId, IngestStatus.Accepted, 0, hash, DocumentStatus.Queued);
    }

    private void Schedule(TimeSpan due)
    {
        if (_working)
        {
            _rescan = true; // the running worker looks at the job again when it finishes
            return;
        }

        _timer?.Dispose();
        _timer = this.RegisterGrainTimer(WorkAsync, new GrainTimerCreationOptions(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan)
        {
            Interleave = true,
            KeepAlive = true,
        });
    }

    /// <summary>The background worker: runs queued jobs whose time has come, one at a time.</summary>
    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        if (_working)
        {
            return;
        }

        _working = true;
        TimeSpan? next = null;
        try
        {
            do
            {
                _rescan = false;
                while (state.State.Job is { Status: DocumentStatus.Queued } job && !cancellationToken.IsCancellationRequested)
                {
                    var wait = Delay(job);
                    if (wait > TimeSpan.Zero)
                    {
                        next = wait;
                        break;
                    }

                    await ProcessAsync(job, cancellationToken);
                }
            }
            while (_rescan && !cancellationToken.IsCancellationRequested);
        }
        finally
        {
            _working = false;
        }

        if (next is { } due && state.State.Job is { Status: DocumentStatus.Queued })
        {
            Schedule(due);
        }
        else if (state.State.Job is not { Status: DocumentStatus.Queued or DocumentStatus.Processing })
        {
            await ForgetReminderAsync();
            if (state.State.Job is { Status: DocumentStatus.Queued or DocumentStatus.Processing })
            {
                // A job was queued while the reminder was being removed: it needs its reminder back.
                await BestEffortAsync(() => this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod));
            }
        }
    }

    private async Task ProcessAsync(IngestJob job, CancellationToken cancellationToken)
    {
        var (collectionKey, documentId) = Parts;
        Exception? unmarked = null;
        await _writes.WaitAsync(cancellationToken);
        try
        {
            if (!IsCurrent(job))
            {
                return;
            }

            if (job.Attempts >= _options.MaxAttempts)
            {
                // Attempts that ended with their silo (a file that crashes the process) count too.
                unmarked = new InvalidOperationException($"the silo running attempt {job.Attempts} stopped before it ended");
            }
            else
            {
                job.Status = DocumentStatus.Processing;
                job.Attempts++;
                _stage = IngestionStages.Extract;
                await state.WriteStateAsync(cancellationToken); // the attempt counts even if this silo dies now
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            unmarked = exception;
        }
        finally
        {
            _writes.Release();
        }

        if (unmarked is not null)
        {
            await RetryLaterAsync(job, unmarked); // fails the job once its attempts are used up
            return;
        }

        try
        {
            var info = await GrainFactory.GetGrain<ICollectionGrain>(collectionKey).EnsureCreatedAsync();
            var shard = ShardRouter.ShardFor(documentId, info.ShardCount);
            await ShardGrain(collectionKey, shard).SetStatusAsync(JobSummary(job), cancellationToken);
            var bytes = await sources.ReadAsync(job.SourceKey, cancellationToken)
                ?? throw new DocumentRejectedException("The uploaded file is no longer stored (it expired or was replaced); send it again.");
            var request = new PipelineRequest(documentId, bytes, job.ContentType, job.Title, info.ChunkTokens ?? _options.ChunkTokens, info.ChunkOverlapTokens ?? _options.ChunkOverlapTokens);
            var result = await pipeline.RunAsync(request, new ShardSink(ShardGrain(collectionKey, shard), documentId, job.Id), s => _stage = s, cancellationToken);

            await _writes.WaitAsync(cancellationToken);
            try
            {
                if (!IsCurrent(job))
                {
                    await DiscardAsync(collectionKey, shard, job.Id, result);
                    return;
                }

                _stage = IngestionStages.Commit;
                await CommitAsync(result, job.Id, shard, job.ContentType, job.Metadata, job.ContentHash, text: null, job.SourceBytes, job.Attempts, cancellationToken);
            }
            finally
            {
                _writes.Release();
            }

            await BestEffortAsync(() => sources.DeleteAsync(job.SourceKey, CancellationToken.None));
        }
        catch (DocumentRejectedException exception)
        {
            await FailAsync(job, exception.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The grain is deactivating (silo shutdown): the job stays queued in storage and resumes elsewhere.
        }
        catch (Exception exception)
        {
            LogAttemptFailed(exception, collectionKey, documentId, job.Attempts);
            await RetryLaterAsync(job, exception);
        }
        finally
        {
            _stage = null;
        }
    }

    private async Task RetryLaterAsync(IngestJob job, Exception exception)
    {
        if (job.Attempts >= _options.MaxAttempts)
        {
            await FailAsync(job, $"Gave up after {job.Attempts} attempts; the last failed with: {Describe(exception)}");
            return;
        }

        var delay = TimeSpan.FromTicks(Math.Min(_options.RetryMaxDelay.Ticks, _options.RetryBaseDelay.Ticks * (1L << Math.Min(20, Math.Max(0, job.Attempts - 1)))));
        await _writes.WaitAsync(CancellationToken.None);
        try
        {
            if (!IsCurrent(job))
            {
                return;
            }

            job.Status = DocumentStatus.Queued;
            job.Error = $"Attempt {job.Attempts} failed and will be retried: {Describe(exception)}";
            job.NextAttemptAt = time.GetUtcNow() + delay;
            await BestEffortAsync(() => state.WriteStateAsync(CancellationToken.None)); // storage may be what failed
        }
        finally
        {
            _writes.Release();
        }

        await BestEffortAsync(async () => await (await ShardAsync()).SetStatusAsync(JobSummary(job)));
    }

    private async Task FailAsync(IngestJob job, string error)
    {
        var (collectionKey, documentId) = Parts;
        await _writes.WaitAsync(CancellationToken.None);
        try
        {
            if (!IsCurrent(job))
            {
                return;
            }

            job.Status = DocumentStatus.Failed;
            job.Error = error;
            await BestEffortAsync(() => state.WriteStateAsync(CancellationToken.None));
        }
        finally
        {
            _writes.Release();
        }

        LogFailed(collectionKey, documentId, error);
        await BestEffortAsync(async () => await (await ShardAsync()).SetStatusAsync(JobSummary(job)));
        await AbandonAsync(job);
    }

    /// <summary>Drops what a job that will never be committed left behind: its staged parts and its source.</summary>
    private async Task AbandonAsync(IngestJob job)
    {
        await BestEffortAsync(async () => await (await ShardAsync()).DiscardStagedAsync(Parts.DocumentId, job.Id));
        await BestEffortAsync(() => sources.DeleteAsync(job.SourceKey, CancellationToken.None));
    }

    /// <summary>The document's shard (fixed: the collection's shard count never changes).</summary>
    private async Task<IRetrievalShardGrain> ShardAsync()
    {
        var (collectionKey, documentId) = Parts;
        var count = state.State.Exists ? 0 : (await GrainFactory.GetGrain<ICollectionGrain>(collectionKey).GetInfoAsync()).ShardCount;
        return ShardGrain(collectionKey, state.State.Exists ? state.State.Shard : ShardRouter.ShardFor(documentId, Math.Max(1, count)));
    }

    private Task DiscardAsync(string collectionKey, int shard, string version, PipelineResult result) =>
        result.Parts > 0 ? BestEffortAsync(() => ShardGrain(collectionKey, shard).DiscardStagedAsync(Parts.DocumentId, version)) : Task.CompletedTask;

    private async Task ForgetReminderAsync()
    {
        await BestEffortAsync(async () =>
        {
            if (await this.GetReminder(ReminderName) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }
        });
    }

    private async Task BestEffortAsync(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogCleanupFailed(exception, Key);
        }
    }

    private bool IsCurrent(IngestJob job) => state.State.Job?.Id == job.Id;

    private TimeSpan Delay(IngestJob job) => job.NextAttemptAt - time.GetUtcNow();

    private DocumentSummary JobSummary(IngestJob job)
    {
        var s = state.State;
        var documentId = Parts.DocumentId;
        return s.Exists
            ? new DocumentSummary(documentId, s.Title, s.ContentType, s.ChunkCount, s.ContentHash, s.UpdatedAt, job.Status, job.Error, s.PageCount)
            : new DocumentSummary(documentId, job.Title ?? documentId, job.ContentType, 0, job.ContentHash, job.SubmittedAt, job.Status, job.Error);
    }

    private string SourceKey(string uploadId) => $"{Key}/{uploadId}";

    private DocumentRejectedException TooLarge(long bytes) => new(
        $"The document is {bytes} bytes or more; the limit (Ingestion:MaxDocumentBytes) is {_options.MaxDocumentBytes}.", RejectionReason.TooLarge);

    private static void CheckUploadId(string uploadId)
    {
        if (string.IsNullOrEmpty(uploadId) || uploadId.Length > 64 || !uploadId.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            throw new RagValidationException("uploadId must be 1 to 64 letters, digits or '-'.", nameof(uploadId));
        }
    }

    private static string Describe(Exception exception) => exception is AggregateException { InnerException: { } inner } ? inner.Message : exception.Message;

    private static string NewVersion() => Guid.NewGuid().ToString("N")[..16];

    private static Dictionary<string, MetadataValue> Copy(IReadOnlyDictionary<string, MetadataValue>? metadata) =>
        metadata is null ? [] : new Dictionary<string, MetadataValue>(metadata, StringComparer.Ordinal);

    private IRetrievalShardGrain ShardGrain(string collectionKey, int shard) =>
        GrainFactory.GetGrain<IRetrievalShardGrain>(GrainKeys.Shard(collectionKey, shard));

    /// <summary>SHA-256 over content type, title, the bytes and the metadata (sorted), hex, 32 characters.</summary>
    private static string ContentHash(byte[] content, string? title, string contentType, Dictionary<string, MetadataValue> metadata)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{contentType}\0{title ?? ""}\0"));
        hash.AppendData(content);
        var tail = new StringBuilder().Append('\0');
        foreach (var (key, value) in metadata.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            tail.Append(key).Append('=').Append(value.Canonical()).Append('\0');
        }

        hash.AppendData(Encoding.UTF8.GetBytes(tail.ToString()));
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..32];
    }

    /// <summary>The index stage's sink: staged parts of one version in the document's shard.</summary>
    private sealed class ShardSink(IRetrievalShardGrain shard, string documentId, string version) : IChunkSink
    {
        public Task StagePartAsync(int part, IndexedChunk[] chunks, CancellationToken cancellationToken) =>
            shard.StagePartAsync(documentId, version, part, chunks, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Document {Collection}/{DocumentId} ingested: {Chunks} chunks in {Parts} parts")]
    private partial void LogIngested(string collection, string documentId, int chunks, int parts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Document {Collection}/{DocumentId} queued: {ContentType}, {Bytes} bytes")]
    private partial void LogQueued(string collection, string documentId, string contentType, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Document {Collection}/{DocumentId}: attempt {Attempt} failed")]
    private partial void LogAttemptFailed(Exception exception, string collection, string documentId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Document {Collection}/{DocumentId} failed: {Error}")]
    private partial void LogFailed(string collection, string documentId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Clean-up for document {Document} failed; it is retried by the next write")]
    private partial void LogCleanupFailed(Exception exception, string document);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Document {Collection}/{DocumentId} deleted")]
    private partial void LogDeleted(string collection, string documentId);
}
