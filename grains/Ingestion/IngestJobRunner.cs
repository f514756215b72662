using Microsoft.Extensions.Logging;
using OrleansRag.Ingestion.Pipeline;
using OrleansRag.Query;

namespace OrleansRag.Ingestion;

/// <summary>
/// Runs a document's background job for its <see cref="DocumentGrain"/>: one attempt at a time (counted and written
/// before it starts, then the pipeline outside the write lock, then the commit if the job is still the latest), the
/// outcome of a failed attempt (<see cref="IngestJobLifecycle"/>), the job's line in its shard's listing, and the
/// clean-up of a job that will never be committed. It works on the grain's state, under the grain's write order.
/// </summary>
internal sealed class IngestJobRunner(
    string documentKey,
    IPersistentState<DocumentState> state,
    WriteOrder writes,
    IngestJobLifecycle jobs,
    DocumentCommit commit,
    IngestionPipeline pipeline,
    IDocumentSourceStore sources,
    DocumentOriginals originals,
    IngestionEvents events,
    CollectionDirectory collections,
    IngestionOptions options,
    ILogger logger)
{
    private readonly (string CollectionKey, string DocumentId) _parts = GrainKeys.SplitLast(documentKey);

    /// <summary>The bytes of the job just queued, so its first attempt does not read the source store again.</summary>
    private (string JobId, byte[] Bytes)? _justQueued;

    /// <summary>The stage of the attempt running now (null between attempts).</summary>
    public string? Stage { get; private set; }

    /// <summary>Keeps the bytes of a job just queued for its first attempt.</summary>
    public void Queued(IngestJob job, byte[] bytes) => _justQueued = (job.Id, bytes);

    /// <summary>One attempt of <paramref name="job"/>.</summary>
    public async Task RunAsync(IngestJob job, CancellationToken cancellationToken)
    {
        string? refused; // why the attempt must not run; "" when the job is no longer the latest (nothing to settle)
        try
        {
            refused = await writes.RunAsync(async () =>
            {
                if (!IsCurrent(job))
                {
                    return "";
                }

                if (jobs.Start(job) is { } usedUp)
                {
                    return usedUp;
                }

                Stage = IngestionStages.Extract;
                await state.WriteStateAsync(cancellationToken); // the attempt counts even if this silo dies now
                return null;
            }, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            refused = IngestJobLifecycle.Describe(exception);
        }

        if (refused is not null)
        {
            if (refused.Length > 0)
            {
                await SettleAsync(job, j => jobs.AfterFailure(j, refused)); // fails the job once its attempts are used up
            }

            return;
        }

        try
        {
            await AttemptAsync(job, cancellationToken);
        }
        catch (DocumentRejectedException exception)
        {
            await SettleAsync(job, j => IngestJobLifecycle.Fail(j, exception.Message));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The grain is deactivating (silo shutdown): the job stays queued in storage and resumes elsewhere.
        }
        catch (Exception exception)
        {
            logger.AttemptFailed(exception, documentKey, job.Attempts);
            await SettleAsync(job, j => jobs.AfterFailure(j, IngestJobLifecycle.Describe(exception)));
        }
        finally
        {
            Stage = null;
        }
    }

    private async Task AttemptAsync(IngestJob job, CancellationToken cancellationToken)
    {
        job.Placement ??= await PlaceAsync(); // a job queued before placements were kept
        if (job.Placement.EmbeddingModel is null)
        {
            // Queued before placements named the model: the collection's, as recorded (or read as the legacy model).
            job.Placement = job.Placement with { EmbeddingModel = (await PlaceAsync()).EmbeddingModel };
        }

        await PublishAsync(job, cancellationToken);
        var bytes = _justQueued is { } queued && queued.JobId == job.Id ? queued.Bytes : await sources.ReadAsync(job.SourceKey, cancellationToken)
            ?? throw new DocumentRejectedException("The uploaded file is no longer stored (it expired or was replaced); send it again.");
        _justQueued = null;
        var result = await RunPipelineAsync(bytes, job.ContentType, job.Title, job.Placement, job.Id, s => Stage = s, cancellationToken,
            job.Precut ? DocumentImports.Parse(bytes) : null);
        result = job.Precut ? result with { OcrPages = job.OcrPages } : result; // chunks cut elsewhere keep the archive's OCR mark
        var original = job.Precut ? job.Original : await originals.KeepAsync(documentKey, job.Id, bytes, job.ContentType, cancellationToken);
        bool committed;
        try
        {
            committed = await writes.RunAsync(async () =>
            {
                if (!IsCurrent(job))
                {
                    return false;
                }

                Stage = IngestionStages.Commit;
                await commit.CommitAsync(state, _parts.CollectionKey, _parts.DocumentId, job.Placement, result,
                    new DocumentVersion(job.Id, job.ContentType, job.Metadata, job.ContentHash, Text: null, job.SourceBytes, job.Attempts, original, RetainOriginal: job.Precut));
                return true;
            }, cancellationToken);
        }
        catch (OperationCanceledException) when (!job.Precut)
        {
            await originals.ForgetAsync(original); // never reached the commit (an import's job keeps its original for the next attempt)
            throw;
        }

        if (committed)
        {
            logger.Ingested(documentKey, result.ChunkCount, result.Parts);
            await BestEffortAsync(() => sources.DeleteAsync(job.SourceKey, CancellationToken.None));
        }
        else
        {
            await BestEffortAsync(() => commit.Shard(_parts.CollectionKey, job.Placement).DiscardStagedAsync(_parts.DocumentId, job.Id));
            await originals.ForgetAsync(original);
        }
    }

    /// <summary>The pipeline for one version, its chunks staged in the placement's shard.</summary>
    public Task<PipelineResult> RunPipelineAsync(byte[] bytes, string contentType, string? title, DocumentPlacement placement, string version, Action<string>? stage,
        CancellationToken cancellationToken, IReadOnlyList<TextChunk>? chunks = null)
    {
        var request = new PipelineRequest(_parts.DocumentId, bytes, contentType, title, placement.ChunkTokens, placement.ChunkOverlapTokens, placement.EmbeddingModel, chunks);
        return pipeline.RunAsync(request, new ShardSink(commit.Shard(_parts.CollectionKey, placement), _parts.DocumentId, version), stage, cancellationToken);
    }

    /// <summary>
    /// A failed attempt's outcome (queued again after the backoff, or failed for good), written best-effort (storage may be
    /// what failed) and published; a failed job's leftovers dropped.
    /// </summary>
    private async Task SettleAsync(IngestJob job, Action<IngestJob> outcome)
    {
        var settled = await writes.RunAsync(async () =>
        {
            if (!IsCurrent(job))
            {
                return false;
            }

            outcome(job);
            await BestEffortAsync(() => state.WriteStateAsync(CancellationToken.None));
            return true;
        }, CancellationToken.None);

        if (settled)
        {
            await BestEffortAsync(() => PublishAsync(job, CancellationToken.None));
            if (job.Status == DocumentStatus.Failed)
            {
                logger.Failed(documentKey, job.Error ?? "");
                events.Failed(documentKey, job);
                await AbandonAsync(job);
            }
        }
    }

    /// <summary>The only writer of the document's line in its shard's listing while a job is its latest version.</summary>
    public async Task PublishAsync(IngestJob job, CancellationToken cancellationToken) =>
        await (await ShardAsync(job)).SetStatusAsync(IngestJobLifecycle.Summary(_parts.DocumentId, state.State, job), cancellationToken);

    /// <summary>Drops what a job that will never be committed left behind: its staged parts, its source and any original kept for it.</summary>
    public async Task AbandonAsync(IngestJob job)
    {
        await BestEffortAsync(async () => await (await ShardAsync(job)).DiscardStagedAsync(_parts.DocumentId, job.Id));
        await BestEffortAsync(() => sources.DeleteAsync(job.SourceKey, CancellationToken.None));
        if (state.State.Version != job.Id && originals.Keeps)
        {
            await originals.ForgetAsync(DocumentOriginals.Key(documentKey, job.Id)); // kept before a commit that never came
        }
    }

    /// <summary>Where this document's chunks go: resolved once per submission, the collection's identity kept per silo.</summary>
    public async Task<DocumentPlacement> PlaceAsync() =>
        DocumentPlacement.Of(_parts.DocumentId, await collections.EnsureAsync(_parts.CollectionKey), options);

    /// <summary>The document's shard: the served version's, else the job's, else resolved.</summary>
    public async Task<IRetrievalShardGrain> ShardAsync(IngestJob? job = null) =>
        commit.Shard(_parts.CollectionKey, state.State.Exists ? state.State.Shard : (job ?? state.State.Job)?.Placement?.Shard ?? (await PlaceAsync()).Shard);

    /// <summary>Runs a clean-up or a write whose failure must not fail the caller: logged, retried by the next write.</summary>
    public async Task BestEffortAsync(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.CleanupFailed(exception, documentKey);
        }
    }

    private bool IsCurrent(IngestJob job) => state.State.Job?.Id == job.Id;
}

/// <summary>A grain's write order: state writes and commits run one at a time, also against an interleaving timer.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "A SemaphoreSlim whose wait handle is never asked for holds nothing to dispose.")]
internal sealed class WriteOrder
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<T> RunAsync<T>(Func<Task<T>> write, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await write();
        }
        finally
        {
            _gate.Release();
        }
    }
}
