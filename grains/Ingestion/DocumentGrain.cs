using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansRag.Ingestion.Pipeline;
using OrleansRag.Monitoring;
using OrleansRag.Query;
using OrleansRag.Retrieval;

namespace OrleansRag.Ingestion;

/// <summary>
/// Owns one document: its identity, the version it serves, the status of the latest one sent, and the order of
/// writes. The work is the <see cref="IngestionPipeline"/> (extract → normalise → chunk → embed → index); the commit is
/// <see cref="DocumentCommit"/> (shard, then collection, then record); a background job's rules are
/// <see cref="IngestJobLifecycle"/>. Small text runs while the caller waits; files and large texts are kept in the
/// source store, recorded as a job, processed by a grain timer that interleaves with calls (so status reads answer at
/// once), retried with backoff after transient failures and resumed by a reminder after the silo that ran them died.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "A SemaphoreSlim whose wait handle is never asked for holds nothing to dispose.")]
[GrainType("document")] // the name the convention gave it: stored state and reminders are keyed by it, so a rename of the class must not change it
public sealed partial class DocumentGrain(
    [PersistentState("document", RagConstants.StorageName)] IPersistentState<DocumentState> state,
    IngestionPipeline pipeline,
    IDocumentSourceStore sources,
    IStorageGeneration storage,
    CollectionDirectory collections,
    IGrainFactory grains,
    IOptions<IngestionOptions> options,
    TimeProvider time,
    ILogger<DocumentGrain> logger) : Grain, IDocumentGrain, IRemindable
{
    private const string ReminderName = "ingest";

    /// <summary>Resumes jobs whose silo died; the timer does the work while the grain is alive.</summary>
    private static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);

    private readonly IngestionOptions _options = options.Value;
    private readonly IngestJobLifecycle _jobs = new(options.Value, time);
    private readonly DocumentCommit _commit = new(grains, time);

    /// <summary>Serialises commits and state writes between calls and the interleaving background worker.</summary>
    private readonly SemaphoreSlim _writes = new(1, 1);

    private IGrainTimer? _timer;
    private bool _working;
    private bool _rescan;
    private string? _stage;

    /// <summary>The bytes of the job just queued, so its first attempt does not read the source store again.</summary>
    private (string JobId, byte[] Bytes)? _justQueued;

    private (string CollectionKey, string DocumentId) Parts => GrainKeys.SplitLast(this.GetPrimaryKeyString());

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (IngestJobLifecycle.IsActive(state.State.Job))
        {
            IngestJobLifecycle.Resume(state.State.Job!);
            Schedule(_jobs.DueIn(state.State.Job!));
        }

        return Task.CompletedTask;
    }

    public Task<IngestResult> UpsertAsync(DocumentInput document, CancellationToken cancellationToken = default) =>
        RagInstruments.TrackAsync("ingest", () => UpsertCoreAsync(document, cancellationToken), cancellationToken);

    public async Task UploadPartAsync(string uploadId, long offset, byte[] data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        Submissions.CheckUploadId(uploadId);
        if (offset < 0 || offset + data.LongLength > _options.MaxDocumentBytes)
        {
            throw Submissions.TooLarge(offset + data.LongLength, _options);
        }

        await sources.AppendAsync(SourceKey(uploadId), offset, data, cancellationToken);
    }

    public Task<IngestResult> SubmitUploadAsync(string uploadId, DocumentUpload upload, long length, CancellationToken cancellationToken = default) =>
        RagInstruments.TrackAsync("ingest", () => SubmitUploadCoreAsync(uploadId, upload, length, cancellationToken), cancellationToken);

    public Task<DocumentInfo?> GetAsync() =>
        Task.FromResult(Submissions.Info(GrainKeys.CollectionName(Parts.CollectionKey), Parts.DocumentId, state.State, _stage, RuntimeIdentity));

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

    public async Task<IndexedChunk[]> GetChunksAsync() =>
        state.State.Exists ? await (await ShardAsync()).GetDocumentChunksAsync(Parts.DocumentId) : [];

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (IngestJobLifecycle.IsActive(state.State.Job))
        {
            if (!_working)
            {
                Schedule(_jobs.DueIn(state.State.Job!));
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
            throw Submissions.TooLarge(bytes.Length, _options);
        }

        var contentType = ContentTypes.Normalize(document.ContentType);
        if (bytes.Length > _options.SyncMaxBytes)
        {
            pipeline.Check(contentType, bytes); // queued: refused now, not in the background, when it is not what it says
        }

        return await SubmitAsync(new Submission(bytes, contentType, document.Title, Submissions.Metadata(document.Metadata), document.Text, UploadId: null), cancellationToken);
    }

    private async Task<IngestResult> SubmitUploadCoreAsync(string uploadId, DocumentUpload upload, long length, CancellationToken cancellationToken)
    {
        Submissions.CheckUploadId(uploadId);
        RagValidation.ThrowIfInvalid(RagValidation.CheckUpload(upload), nameof(upload));
        if (length > _options.MaxDocumentBytes)
        {
            throw Submissions.TooLarge(length, _options);
        }

        var contentType = ContentTypes.Normalize(upload.ContentType);
        var sourceKey = SourceKey(uploadId);
        var bytes = await sources.ReadAsync(sourceKey, cancellationToken) ?? (length == 0 ? [] : null);
        try
        {
            if (bytes is null || bytes.LongLength != length)
            {
                throw new DocumentRejectedException($"Upload {uploadId} holds {bytes?.LongLength ?? 0} bytes, not the {length} announced; send the file again.");
            }

            if (bytes.Length == 0)
            {
                throw new DocumentRejectedException("The document is empty.");
            }

            pipeline.Check(contentType, bytes);
        }
        catch (DocumentRejectedException) when (bytes is { Length: > 0 })
        {
            await sources.DeleteAsync(sourceKey, cancellationToken);
            throw;
        }

        return await SubmitAsync(new Submission(bytes, contentType, upload.Title, Submissions.Metadata(upload.Metadata), Text: null, uploadId), cancellationToken);
    }

    /// <summary>A version as sent: its bytes, and the upload that holds them (null for text sent in the call).</summary>
    private sealed record Submission(byte[] Bytes, string ContentType, string? Title, Dictionary<string, MetadataValue> Metadata, string? Text, string? UploadId);

    /// <summary>
    /// Every submission's road: unchanged (or already on its way) is answered at once; small text is ingested while the
    /// caller waits; anything else is kept as a source and queued.
    /// </summary>
    private async Task<IngestResult> SubmitAsync(Submission submission, CancellationToken cancellationToken)
    {
        var hash = Submissions.ContentHash(submission.Bytes, submission.Title, submission.ContentType, submission.Metadata);
        await storage.EnsureIntactAsync(cancellationToken); // what this grain holds in memory must still be stored
        if (Unchanged(hash) is { } unchanged)
        {
            await DeleteUploadAsync(submission, cancellationToken);
            return unchanged;
        }

        if (ContentTypes.Find(submission.ContentType) is { IsText: true } && submission.Bytes.Length <= _options.SyncMaxBytes)
        {
            var result = await IngestNowAsync(submission.Bytes, submission.ContentType, submission.Title, submission.Metadata, hash, submission.Text, cancellationToken);
            await DeleteUploadAsync(submission, cancellationToken);
            return result;
        }

        var uploadId = submission.UploadId;
        if (uploadId is null)
        {
            // Too large to ingest while the caller waits: kept as a source like an uploaded file.
            uploadId = Guid.NewGuid().ToString("N");
            await sources.AppendAsync(SourceKey(uploadId), 0, submission.Bytes, cancellationToken);
        }

        return await EnqueueAsync(uploadId, submission.Bytes, submission.ContentType, submission.Title, submission.Metadata, hash, cancellationToken);
    }

    private Task DeleteUploadAsync(Submission submission, CancellationToken cancellationToken) =>
        submission.UploadId is { } uploadId ? sources.DeleteAsync(SourceKey(uploadId), cancellationToken) : Task.CompletedTask;

    /// <summary>The answer to a submission whose content is served already, or is already on its way.</summary>
    private IngestResult? Unchanged(string hash)
    {
        var (collectionKey, documentId) = Parts;
        var collection = GrainKeys.CollectionName(collectionKey);
        var current = state.State;
        if (IngestJobLifecycle.IsActive(current.Job))
        {
            return current.Job!.ContentHash == hash ? new IngestResult(collection, documentId, IngestStatus.Accepted, 0, hash, current.Job.Status) : null;
        }

        return current.Exists && current.Job is null && current.ContentHash == hash
            ? new IngestResult(collection, documentId, IngestStatus.Unchanged, current.ChunkCount, hash)
            : null;
    }

    /// <summary>The synchronous path: the pipeline runs within this call, then the commit.</summary>
    private async Task<IngestResult> IngestNowAsync(byte[] bytes, string contentType, string? title, Dictionary<string, MetadataValue> metadata, string hash, string? text, CancellationToken cancellationToken)
    {
        var (collectionKey, documentId) = Parts;
        var placement = await PlaceAsync();
        var version = new DocumentVersion(Submissions.NewVersion(), contentType, metadata, hash, text, bytes.Length, Attempts: 1);
        var result = await RunPipelineAsync(bytes, contentType, title, placement, version.Id, stage: null, cancellationToken);

        await _writes.WaitAsync(cancellationToken);
        IngestJob? superseded;
        IngestStatus status;
        try
        {
            superseded = state.State.Job;
            status = await _commit.CommitAsync(state, collectionKey, documentId, placement, result, version);
        }
        finally
        {
            _writes.Release();
        }

        LogIngested(collectionKey, documentId, result.ChunkCount, result.Parts);
        if (superseded is not null)
        {
            await AbandonAsync(superseded);
        }

        return new IngestResult(GrainKeys.CollectionName(collectionKey), documentId, status, result.ChunkCount, hash);
    }

    private async Task<IngestResult> EnqueueAsync(string uploadId, byte[] bytes, string contentType, string? title, Dictionary<string, MetadataValue> metadata, string hash, CancellationToken cancellationToken)
    {
        var (collectionKey, documentId) = Parts;
        var placement = await PlaceAsync();
        var job = _jobs.Create(Submissions.NewVersion(), SourceKey(uploadId), contentType, title, metadata, hash, bytes.Length, placement);

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

        _justQueued = (job.Id, bytes);
        Schedule(TimeSpan.Zero);
        await this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod, cancellationToken);
        await _commit.Shard(collectionKey, placement).SetStatusAsync(IngestJobLifecycle.Summary(documentId, state.State, job), cancellationToken);
        LogQueued(collectionKey, documentId, contentType, bytes.Length);
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
                    var wait = _jobs.DueIn(job);
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
        else if (!IngestJobLifecycle.IsActive(state.State.Job))
        {
            await ForgetReminderAsync();
            if (IngestJobLifecycle.IsActive(state.State.Job))
            {
                // A job was queued while the reminder was being removed: it needs its reminder back.
                await BestEffortAsync(() => this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod));
            }
        }
    }

    private async Task ProcessAsync(IngestJob job, CancellationToken cancellationToken)
    {
        var (collectionKey, documentId) = Parts;
        string? refused = null;
        await _writes.WaitAsync(cancellationToken);
        try
        {
            if (!IsCurrent(job))
            {
                return;
            }

            refused = _jobs.Start(job);
            if (refused is null)
            {
                _stage = IngestionStages.Extract;
                await state.WriteStateAsync(cancellationToken); // the attempt counts even if this silo dies now
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            refused = IngestJobLifecycle.Describe(exception);
        }
        finally
        {
            _writes.Release();
        }

        if (refused is not null)
        {
            await RetryLaterAsync(job, refused); // fails the job once its attempts are used up
            return;
        }

        try
        {
            job.Placement ??= await PlaceAsync(); // a job queued before placements were kept
            var shard = _commit.Shard(collectionKey, job.Placement);
            await shard.SetStatusAsync(IngestJobLifecycle.Summary(documentId, state.State, job), cancellationToken);
            var bytes = _justQueued is { } queued && queued.JobId == job.Id ? queued.Bytes : await sources.ReadAsync(job.SourceKey, cancellationToken)
                ?? throw new DocumentRejectedException("The uploaded file is no longer stored (it expired or was replaced); send it again.");
            _justQueued = null;
            var result = await RunPipelineAsync(bytes, job.ContentType, job.Title, job.Placement, job.Id, s => _stage = s, cancellationToken);

            await _writes.WaitAsync(cancellationToken);
            try
            {
                if (!IsCurrent(job))
                {
                    await DiscardAsync(job.Placement, job.Id, result);
                    return;
                }

                _stage = IngestionStages.Commit;
                await _commit.CommitAsync(state, collectionKey, documentId, job.Placement, result,
                    new DocumentVersion(job.Id, job.ContentType, job.Metadata, job.ContentHash, Text: null, job.SourceBytes, job.Attempts));
            }
            finally
            {
                _writes.Release();
            }

            LogIngested(collectionKey, documentId, result.ChunkCount, result.Parts);
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
            await RetryLaterAsync(job, IngestJobLifecycle.Describe(exception));
        }
        finally
        {
            _stage = null;
        }
    }

    private Task<PipelineResult> RunPipelineAsync(byte[] bytes, string contentType, string? title, DocumentPlacement placement, string version, Action<string>? stage, CancellationToken cancellationToken)
    {
        var (collectionKey, documentId) = Parts;
        var request = new PipelineRequest(documentId, bytes, contentType, title, placement.ChunkTokens, placement.ChunkOverlapTokens);
        return pipeline.RunAsync(request, new ShardSink(_commit.Shard(collectionKey, placement), documentId, version), stage, cancellationToken);
    }

    /// <summary>Queued again after the backoff, or failed once the attempts are used up (<see cref="IngestJobLifecycle.AfterFailure"/>).</summary>
    private async Task RetryLaterAsync(IngestJob job, string reason)
    {
        await _writes.WaitAsync(CancellationToken.None);
        try
        {
            if (!IsCurrent(job))
            {
                return;
            }

            _jobs.AfterFailure(job, reason);
            await BestEffortAsync(() => state.WriteStateAsync(CancellationToken.None)); // storage may be what failed
        }
        finally
        {
            _writes.Release();
        }

        await ReportAsync(job);
    }

    private async Task FailAsync(IngestJob job, string error)
    {
        await _writes.WaitAsync(CancellationToken.None);
        try
        {
            if (!IsCurrent(job))
            {
                return;
            }

            IngestJobLifecycle.Fail(job, error);
            await BestEffortAsync(() => state.WriteStateAsync(CancellationToken.None));
        }
        finally
        {
            _writes.Release();
        }

        await ReportAsync(job);
    }

    /// <summary>The job's status in its shard's listing; a failed job's leftovers dropped.</summary>
    private async Task ReportAsync(IngestJob job)
    {
        if (job.Status == DocumentStatus.Failed)
        {
            LogFailed(Parts.CollectionKey, Parts.DocumentId, job.Error ?? "");
        }

        await BestEffortAsync(async () => await (await ShardAsync()).SetStatusAsync(IngestJobLifecycle.Summary(Parts.DocumentId, state.State, job)));
        if (job.Status == DocumentStatus.Failed)
        {
            await AbandonAsync(job);
        }
    }

    /// <summary>Drops what a job that will never be committed left behind: its staged parts and its source.</summary>
    private async Task AbandonAsync(IngestJob job)
    {
        await BestEffortAsync(async () => await (await ShardAsync(job)).DiscardStagedAsync(Parts.DocumentId, job.Id));
        await BestEffortAsync(() => sources.DeleteAsync(job.SourceKey, CancellationToken.None));
    }

    /// <summary>Where this document's chunks go: resolved once per submission, the collection's identity kept per silo.</summary>
    private async Task<DocumentPlacement> PlaceAsync() =>
        DocumentPlacement.Of(Parts.DocumentId, await collections.EnsureAsync(Parts.CollectionKey), _options);

    /// <summary>The document's shard: the served version's, else the job's, else resolved.</summary>
    private async Task<IRetrievalShardGrain> ShardAsync(IngestJob? job = null)
    {
        var collectionKey = Parts.CollectionKey;
        var placement = state.State.Exists ? state.State.Shard
            : (job ?? state.State.Job)?.Placement?.Shard ?? (await PlaceAsync()).Shard;
        return GrainFactory.GetGrain<IRetrievalShardGrain>(GrainKeys.Shard(collectionKey, placement));
    }

    private Task DiscardAsync(DocumentPlacement placement, string version, PipelineResult result) =>
        result.Parts > 0 ? BestEffortAsync(() => _commit.Shard(Parts.CollectionKey, placement).DiscardStagedAsync(Parts.DocumentId, version)) : Task.CompletedTask;

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
            LogCleanupFailed(exception, this.GetPrimaryKeyString());
        }
    }

    private bool IsCurrent(IngestJob job) => state.State.Job?.Id == job.Id;

    private string SourceKey(string uploadId) => $"{this.GetPrimaryKeyString()}/{uploadId}";

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
