namespace OrleansRag.Ingestion;

/// <summary>
/// The rules of a background ingest job, apart from the grain that runs it: queued → processing → ready (the job is
/// gone) or failed; each attempt counted before it starts, so one that dies with its silo counts too; transient
/// failures retried with exponential backoff from <see cref="IngestionOptions.RetryBaseDelay"/> to
/// <see cref="IngestionOptions.RetryMaxDelay"/>, up to <see cref="IngestionOptions.MaxAttempts"/>; when a job is due and
/// whether it still needs its timer and reminder. Plain, with a <see cref="TimeProvider"/>, so tests drive time.
/// </summary>
public sealed class IngestJobLifecycle(IngestionOptions options, TimeProvider time)
{
    /// <summary>A new job, due now.</summary>
    public IngestJob Create(string version, string sourceKey, string contentType, string? title, Dictionary<string, MetadataValue> metadata, string hash, long bytes, DocumentPlacement placement)
    {
        var now = time.GetUtcNow();
        return new IngestJob
        {
            Id = version,
            SourceKey = sourceKey,
            ContentType = contentType,
            Title = string.IsNullOrWhiteSpace(title) ? null : title.Trim(),
            Metadata = metadata,
            ContentHash = hash,
            SourceBytes = bytes,
            Status = DocumentStatus.Queued,
            SubmittedAt = now,
            NextAttemptAt = now,
            Placement = placement,
        };
    }

    /// <summary>Queued or processing: it needs the worker, and the reminder that resumes it after a silo loss.</summary>
    public static bool IsActive(IngestJob? job) => job is { Status: DocumentStatus.Queued or DocumentStatus.Processing };

    /// <summary>How long until the job may run (zero or less: now).</summary>
    public TimeSpan DueIn(IngestJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.NextAttemptAt - time.GetUtcNow();
    }

    /// <summary>On activation: a job that was processing when its silo stopped is queued again (its attempt counted).</summary>
    public static void Resume(IngestJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Status == DocumentStatus.Processing)
        {
            job.Status = DocumentStatus.Queued;
        }
    }

    /// <summary>
    /// Starts an attempt (processing, counted) and returns null; or, when the attempts are used up already (the last
    /// ones ended with their silo), returns why it must not start.
    /// </summary>
    public string? Start(IngestJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Attempts >= options.MaxAttempts)
        {
            return $"the silo running attempt {job.Attempts} stopped before it ended";
        }

        job.Status = DocumentStatus.Processing;
        job.Attempts++;
        return null;
    }

    /// <summary>After a failed attempt: queued again after the backoff, or failed for good once the attempts are used up.</summary>
    public void AfterFailure(IngestJob job, string reason)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Attempts >= options.MaxAttempts)
        {
            Fail(job, $"Gave up after {job.Attempts} attempts; the last failed with: {reason}");
            return;
        }

        job.Status = DocumentStatus.Queued;
        job.Error = $"Attempt {job.Attempts} failed and will be retried: {reason}";
        job.NextAttemptAt = time.GetUtcNow() + Backoff(job.Attempts);
    }

    /// <summary>Failed for good (a file that cannot be read, or attempts used up).</summary>
    public static void Fail(IngestJob job, string error)
    {
        ArgumentNullException.ThrowIfNull(job);
        job.Status = DocumentStatus.Failed;
        job.Error = error;
    }

    /// <summary>The wait after attempt <paramref name="attempts"/> failed: the base delay doubled per further attempt, at most the maximum.</summary>
    public TimeSpan Backoff(int attempts) =>
        TimeSpan.FromTicks(Math.Min(options.RetryMaxDelay.Ticks, options.RetryBaseDelay.Ticks * (1L << Math.Min(20, Math.Max(0, attempts - 1)))));

    /// <summary>The message of a failure, without the aggregate around it.</summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception is AggregateException { InnerException: { } inner } ? inner.Message : exception.Message;
    }

    /// <summary>The document's line in its shard's listing while a job is its latest version.</summary>
    public static DocumentSummary Summary(string documentId, DocumentState state, IngestJob job)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(job);
        return state.Exists
            ? new DocumentSummary(documentId, state.Title, state.ContentType, state.ChunkCount, state.ContentHash, state.UpdatedAt, job.Status, job.Error, state.PageCount, state.OcrPages)
            : new DocumentSummary(documentId, job.Title ?? documentId, job.ContentType, 0, job.ContentHash, job.SubmittedAt, job.Status, job.Error);
    }
}
