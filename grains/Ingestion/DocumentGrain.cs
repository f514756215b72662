using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansRag.Ingestion.Pipeline;
using OrleansRag.Monitoring;
using OrleansRag.Query;
using OrleansRag.Retrieval;

namespace OrleansRag.Ingestion;

/// <summary>
/// Owns one document: its identity, the version it serves, the status of the latest one sent (here only: its shard's
/// listing shows a copy), the order of writes and the lifecycle of its background job. How versions arrive and what
/// they must be is <see cref="DocumentIntake"/>; the work is the <see cref="IngestionPipeline"/>; the commit is
/// <see cref="DocumentCommit"/>; a job's rules are <see cref="IngestJobLifecycle"/> and its attempts
/// <see cref="IngestJobRunner"/>. Small text runs while the caller waits; files and large texts are kept in the source
/// store, recorded as a job, processed by a grain timer that interleaves with calls (so status reads answer at once),
/// retried with backoff after transient failures and resumed by a reminder after the silo that ran them died.
/// </summary>
[GrainType("document")] // the name the convention gave it: stored state and reminders are keyed by it, so a rename of the class must not change it
public sealed class DocumentGrain(
    [PersistentState("document", RagConstants.StorageName)] IPersistentState<DocumentState> state,
    IngestionPipeline pipeline,
    IDocumentSourceStore sources,
    DocumentOriginals originals,
    IngestionEvents events,
    IStorageGeneration storage,
    CollectionDirectory collections,
    IGrainFactory grains,
    IOptions<IngestionOptions> options,
    TimeProvider time,
    RagInstruments instruments,
    ILogger<DocumentGrain> logger) : Grain, IDocumentGrain, IRemindable
{
    private const string ReminderName = "ingest";

    /// <summary>Resumes jobs whose silo died; the timer does the work while the grain is alive.</summary>
    private static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);

    private readonly IngestJobLifecycle _jobs = new(options.Value, time);
    private readonly DocumentCommit _commit = new(grains, time, originals, events);
    private readonly DocumentIntake _intake = new(pipeline, sources, options.Value);
    private DocumentImports? _importer;
    private readonly WriteOrder _writes = new();
    private IngestJobRunner? _runner;
    private IGrainTimer? _timer;
    private bool _working;
    private bool _rescan;

    private IngestJobRunner Runner => _runner ??= new(this.GetPrimaryKeyString(), state, _writes, _jobs, _commit, pipeline, sources, originals, events, collections, options.Value, logger);

    private DocumentImports Imports => _importer ??= new(this.GetPrimaryKeyString(), _intake, originals, _jobs);

    private string CollectionKey => GrainKeys.SplitLast(this.GetPrimaryKeyString()).CollectionKey;

    private string DocumentId => GrainKeys.SplitLast(this.GetPrimaryKeyString()).Last;

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
        instruments.TrackAsync("ingest", () => SubmitAsync(_intake.Text(document), cancellationToken), cancellationToken);

    public Task UploadPartAsync(string uploadId, long offset, byte[] data, CancellationToken cancellationToken = default) =>
        _intake.AppendAsync(SourceKey(uploadId), uploadId, offset, data, cancellationToken);

    public Task<IngestResult> SubmitUploadAsync(string uploadId, DocumentUpload upload, long length, CancellationToken cancellationToken = default) =>
        instruments.TrackAsync("ingest", async () => await SubmitAsync(await _intake.UploadAsync(SourceKey(uploadId), uploadId, upload, length, cancellationToken), cancellationToken), cancellationToken);

    public async Task ImportPartAsync(string version, int part, IndexedChunk[] chunks, CancellationToken cancellationToken = default)
    {
        DocumentImports.CheckVersion(version);
        ArgumentOutOfRangeException.ThrowIfNegative(part);
        await _commit.Shard(CollectionKey, await Runner.PlaceAsync()).StagePartAsync(DocumentId, version, part, DocumentImports.Own(DocumentId, chunks), cancellationToken);
    }

    public Task<IngestResult> ImportAsync(DocumentImport import, CancellationToken cancellationToken = default) =>
        instruments.TrackAsync("ingest", () => ImportNowAsync(import, cancellationToken), cancellationToken);

    public Task<DocumentInfo?> GetAsync() =>
        Task.FromResult(Submissions.Info(GrainKeys.CollectionName(CollectionKey), DocumentId, state.State, Runner.Stage, RuntimeIdentity));

    public async Task<bool> DeleteAsync(CancellationToken cancellationToken = default)
    {
        await storage.EnsureIntactAsync(cancellationToken);
        var deleted = await _writes.RunAsync<(bool Deleted, IngestJob? Job)>(async () =>
        {
            var current = state.State;
            if (!current.Exists && current.Job is null)
            {
                return (false, null);
            }

            await (await Runner.ShardAsync()).RemoveDocumentAsync(DocumentId, cancellationToken);
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
            await originals.ForgetAsync(current.Original);
            await GrainFactory.GetGrain<ICollectionGrain>(CollectionKey).ContentChangedAsync();
            return (true, current.Job);
        }, cancellationToken);

        if (deleted.Job is not null)
        {
            await Runner.AbandonAsync(deleted.Job);
        }

        if (deleted.Deleted)
        {
            await ForgetReminderAsync();
            logger.Deleted(this.GetPrimaryKeyString());
        }

        return deleted.Deleted;
    }

    public async Task<ChunkPage?> GetChunksAsync(int offset = 0, int limit = int.MaxValue, bool withVectors = false) =>
        state.State.Exists ? await (await Runner.ShardAsync()).GetDocumentChunksAsync(DocumentId, offset, limit, withVectors)
        : state.State.Job is not null ? new ChunkPage([], 0) // on its way: known, nothing served yet
        : null;

    public Task<DocumentOriginal?> GetOriginalAsync() => Task.FromResult(DocumentOriginals.Describe(state.State));

    public Task<byte[]> ReadOriginalAsync(string version, long offset, int count, CancellationToken cancellationToken = default) =>
        originals.ReadServedAsync(DocumentId, state.State, version, offset, count, cancellationToken);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (!IngestJobLifecycle.IsActive(state.State.Job))
        {
            await ForgetReminderAsync();
        }
        else if (!_working)
        {
            Schedule(_jobs.DueIn(state.State.Job!));
        }
    }

    /// <summary>
    /// Every submission's road: unchanged (or already on its way) is answered at once; small text is ingested while the
    /// caller waits; anything else is kept as a source and queued.
    /// </summary>
    private async Task<IngestResult> SubmitAsync(Submission submission, CancellationToken cancellationToken)
    {
        var hash = Submissions.ContentHash(submission.Bytes, submission.Title, submission.ContentType, submission.Metadata);
        await storage.EnsureIntactAsync(cancellationToken); // what this grain holds in memory must still be stored
        var unchanged = Unchanged(hash);
        if (unchanged is not null || ContentTypes.Find(submission.ContentType) is { IsText: true } && submission.Bytes.Length <= options.Value.SyncMaxBytes)
        {
            var result = unchanged ?? await IngestNowAsync(submission, hash, cancellationToken);
            if (submission.UploadId is { } uploadId)
            {
                await sources.DeleteAsync(SourceKey(uploadId), cancellationToken);
            }

            return result;
        }

        var sourceKey = SourceKey(submission.UploadId ?? Guid.NewGuid().ToString("N"));
        if (submission.UploadId is null)
        {
            await sources.AppendAsync(sourceKey, 0, submission.Bytes, cancellationToken); // too large to ingest while the caller waits
        }

        var job = _jobs.Create(Submissions.NewVersion(), sourceKey, submission.ContentType, submission.Title, submission.Metadata, hash, submission.Bytes.Length, await Runner.PlaceAsync());
        return await EnqueueAsync(job, submission.Bytes, cancellationToken);
    }

    /// <summary>The answer to a submission whose content is served already, or is already on its way.</summary>
    private IngestResult? Unchanged(string hash)
    {
        var collection = GrainKeys.CollectionName(CollectionKey);
        var current = state.State;
        if (IngestJobLifecycle.IsActive(current.Job))
        {
            return current.Job!.ContentHash == hash ? new IngestResult(collection, DocumentId, IngestStatus.Accepted, 0, hash, current.Job.Status) : null;
        }

        // The same content again is unchanged, unless its original was not kept then and is kept now (sent again to keep it).
        return current.Exists && current.Job is null && current.ContentHash == hash && (current.Original is not null || !originals.Keeps)
            ? new IngestResult(collection, DocumentId, IngestStatus.Unchanged, current.ChunkCount, hash)
            : null;
    }

    /// <summary>The synchronous path: the pipeline runs within this call, then the commit.</summary>
    private async Task<IngestResult> IngestNowAsync(Submission submission, string hash, CancellationToken cancellationToken)
    {
        var placement = await Runner.PlaceAsync();
        var version = new DocumentVersion(Submissions.NewVersion(), submission.ContentType, submission.Metadata, hash, submission.Text, submission.Bytes.Length, Attempts: 1);
        var result = await Runner.RunPipelineAsync(submission.Bytes, submission.ContentType, submission.Title, placement, version.Id, stage: null, cancellationToken);
        version = version with { Original = await originals.KeepAsync(this.GetPrimaryKeyString(), version.Id, submission.Bytes, submission.ContentType, cancellationToken) };
        return await CommitNowAsync(placement, result, version, cancellationToken);
    }

    /// <summary>
    /// An imported version: its chunks committed as they are when their vectors are of the collection's model, or queued
    /// to be embedded again from its chunk list; its original (uploaded before) kept either way.
    /// </summary>
    private async Task<IngestResult> ImportNowAsync(DocumentImport import, CancellationToken cancellationToken)
    {
        DocumentImports.Check(import);
        await storage.EnsureIntactAsync(cancellationToken);
        var placement = await Runner.PlaceAsync();
        try
        {
            var (job, result, version) = await Imports.PrepareAsync(import, placement, SourceKey, cancellationToken);
            return job is not null ? await EnqueueAsync(job, bytes: null, cancellationToken) : await CommitNowAsync(placement, result!, version!, cancellationToken);
        }
        catch when (import.Parts > 0)
        {
            // Parts staged for a version that will not be served are dropped now, not at the shard's next deactivation.
            await Runner.BestEffortAsync(() => _commit.Shard(CollectionKey, placement).DiscardStagedAsync(DocumentId, import.Version));
            throw;
        }
    }

    /// <summary>Commits a version made while the caller waits, under the write order; a job it supersedes is dropped.</summary>
    private async Task<IngestResult> CommitNowAsync(DocumentPlacement placement, PipelineResult result, DocumentVersion version, CancellationToken cancellationToken)
    {
        (IngestStatus Status, IngestJob? Superseded) committed;
        try
        {
            committed = await _writes.RunAsync(async () =>
            {
                var job = state.State.Job;
                return (await _commit.CommitAsync(state, CollectionKey, DocumentId, placement, result, version), job);
            }, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await originals.ForgetAsync(version.Original); // never reached the commit
            throw;
        }

        var (status, superseded) = committed;

        logger.Ingested(this.GetPrimaryKeyString(), result.ChunkCount, result.Parts);
        if (superseded is not null)
        {
            await Runner.AbandonAsync(superseded);
        }

        return new IngestResult(GrainKeys.CollectionName(CollectionKey), DocumentId, status, result.ChunkCount, version.Hash);
    }

    /// <summary>
    /// The background path: the job is written, then its timer, its reminder and its line in the listing; the bytes of its
    /// source, when the caller has them, serve its first attempt.
    /// </summary>
    private async Task<IngestResult> EnqueueAsync(IngestJob job, byte[]? bytes, CancellationToken cancellationToken)
    {
        var superseded = await _writes.RunAsync(async () =>
        {
            var previous = state.State.Job;
            state.State.Job = job;
            try
            {
                await state.WriteStateAsync(cancellationToken);
            }
            catch
            {
                state.State.Job = previous;
                throw;
            }

            return previous;
        }, cancellationToken);

        if (superseded is not null)
        {
            await Runner.AbandonAsync(superseded);
        }

        if (bytes is not null)
        {
            Runner.Queued(job, bytes);
        }

        Schedule(TimeSpan.Zero);
        await this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod, cancellationToken);
        await Runner.PublishAsync(job, cancellationToken);
        logger.Queued(this.GetPrimaryKeyString(), job.ContentType, job.SourceBytes);
        return new IngestResult(GrainKeys.CollectionName(CollectionKey), DocumentId, IngestStatus.Accepted, 0, job.ContentHash, DocumentStatus.Queued);
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

    /// <summary>The background worker: runs queued jobs whose time has come, one at a time; then the next timer, or no reminder.</summary>
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
                    if (_jobs.DueIn(job) is var wait && wait > TimeSpan.Zero)
                    {
                        next = wait;
                        break;
                    }

                    await Runner.RunAsync(job, cancellationToken);
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
                await Runner.BestEffortAsync(() => this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod));
            }
        }
    }

    private Task ForgetReminderAsync() => Runner.BestEffortAsync(async () =>
    {
        if (await this.GetReminder(ReminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    });

    private string SourceKey(string uploadId) => $"{this.GetPrimaryKeyString()}/{uploadId}";
}
