using Microsoft.Extensions.Logging;

namespace OrleansRag.Sources;

/// <summary>
/// One sync of a source, apart from its grain: lists the source whole, plans with <see cref="SourcePlanner"/>, ingests
/// the new and changed files through their document grains (<see cref="SourceOptions.Parallelism"/> at a time, each
/// uploaded in pieces, submitted and waited for until ready, so a sync never floods the embedders and each file's error
/// is known), records each file in <c>files</c> as it lands (saved by the caller's <c>save</c>, so a sync stopped
/// part-way resumes where it was and documents keep their ids), and deletes the documents of vanished files last, only
/// once the listing was complete. A problem of one file is recorded against it; a failure of the source stops the sync,
/// with its reason in the report.
/// </summary>
public sealed class SourceSync(
    string collectionKey, string sourceId, IGrainFactory grains, SourceOptions options, long maxFileBytes, TimeProvider time, ILogger logger, string trigger)
{
    private const int UploadPieceBytes = 1024 * 1024;
    private const string StillProcessing = "Still processing";
    private readonly Progress _progress = new(time.GetUtcNow(), trigger);

    private string SourceKey => GrainKeys.Document(collectionKey, sourceId);

    /// <summary>The counts so far, as a report of a sync still running.</summary>
    public SourceSyncReport Snapshot() => _progress.Report(SourceSyncState.Syncing, null);

    /// <summary>The report of a sync stopped from outside (the source deleted, the silo shutting down).</summary>
    public SourceSyncReport Stopped() =>
        _progress.Report(SourceSyncState.Failed, time.GetUtcNow(), "The sync was stopped (the source is being deleted, or its silo is shutting down); the next one resumes.");

    /// <summary>Runs the sync over <paramref name="files"/> (changed as files land); its report, failed or not.</summary>
    public async Task<SourceSyncReport> RunAsync(Func<CancellationToken, Task<ISourceReader>> open, IDictionary<string, SourceFile> files, Func<CancellationToken, Task> save, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(save);
        try
        {
            using var reader = await open(cancellationToken);
            var listed = new List<SourceEntry>();
            await foreach (var entry in reader.ListAsync(cancellationToken))
            {
                listed.Add(entry);
                if (listed.Count > options.MaxFiles)
                {
                    throw new SourceRefusedException($"The source lists more than {options.MaxFiles} files (Sources:MaxFiles); nothing was synced. Narrow it (a prefix, a subfolder) or raise the limit.");
                }
            }

            if (listed.Count == 0 && files.Count > 0)
            {
                // An unmounted volume, a wrong prefix, a site answering with an empty sitemap: taken for the source being
                // away, never as every file deleted. Removing the source removes its documents.
                throw new SourceRefusedException($"The source lists no files, where it had {files.Count}; nothing was deleted. If it is really empty now, remove the source (its documents go with it).");
            }

            var plan = SourcePlanner.Plan(files.AsReadOnly(), listed, complete: !reader.Truncated);
            _progress.Unchanged = plan.Unchanged;
            _progress.Skipped = plan.Skipped;
            var taken = new HashSet<string>(files.Values.Select(f => f.DocumentId), StringComparer.Ordinal);
            var queue = new Queue<SourceEntry>(plan.Ingest);
            using (var lanes = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                // The first failure of the source itself stops every lane: what is done is recorded, the rest waits for the next sync.
                await Task.WhenAll(Enumerable.Range(0, Math.Min(options.Parallelism, queue.Count)).Select(async _ =>
                {
                    try
                    {
                        await IngestAllAsync(queue, reader, files, taken, save, lanes.Token);
                    }
                    catch
                    {
                        await lanes.CancelAsync();
                        throw;
                    }
                }));
            }

            // Only now, with the whole source listed: the documents of files that are gone.
            foreach (var path in plan.Delete)
            {
                await Document(files[path].DocumentId).DeleteAsync(cancellationToken);
                files.Remove(path);
                _progress.Deleted++;
                await save(cancellationToken);
            }

            var report = _progress.Report(SourceSyncState.Succeeded, time.GetUtcNow(),
                reader.Truncated ? "The listing stopped at the source's limit (maxPages, Sources:MaxFiles); pages past it were neither added nor removed." : null);
            logger.Synced(SourceKey, report.Added, report.Updated, report.Unchanged, report.Deleted, report.Failed);
            return report;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            var reason = Describe(exception);
            logger.SyncFailed(exception, SourceKey, reason);
            return _progress.Report(SourceSyncState.Failed, time.GetUtcNow(), reason);
        }
    }

    /// <summary>One lane of a sync: takes files off the queue until it is empty, each read, ingested, waited for and recorded.</summary>
    private async Task IngestAllAsync(Queue<SourceEntry> queue, ISourceReader reader, IDictionary<string, SourceFile> files, HashSet<string> taken, Func<CancellationToken, Task> save, CancellationToken cancellationToken)
    {
        while (queue.TryDequeue(out var entry))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var known = files.TryGetValue(entry.Path, out var found) ? found : null;
            var documentId = known?.DocumentId ?? SourcePlanner.DocumentId(sourceId, entry.Path, taken.Contains);
            taken.Add(documentId);

            // Recorded before its document is touched, as not done: a sync stopped now (the source deleted, the silo
            // gone) leaves a file the next sync looks at again and a deletion of the source finds.
            files[entry.Path] = new SourceFile { DocumentId = documentId, Version = "", Error = known?.Error, At = known?.At ?? time.GetUtcNow() };
            string? error;
            try
            {
                var content = await reader.ReadAsync(entry, maxFileBytes, cancellationToken);
                var upload = new DocumentUpload(content.ContentType, Metadata: Metadata(entry));
                (var outcome, error) = await IngestAsync(Document(documentId), content.Bytes, upload, cancellationToken);
                switch (outcome)
                {
                    case IngestStatus.Created when error is null:
                        _progress.Added++;
                        break;
                    case IngestStatus.Updated when error is null:
                        _progress.Updated++;
                        break;
                    case IngestStatus.Unchanged:
                        _progress.Unchanged++;
                        break;
                }
            }
            catch (Exception exception) when (exception is SourceFileException or DocumentRejectedException or RagValidationException)
            {
                error = exception.Message;
            }

            if (error is not null)
            {
                _progress.Failed++;
                logger.FileFailed(SourceKey, entry.Path, error);
            }

            files[entry.Path] = new SourceFile
            {
                DocumentId = documentId,
                Version = error is not null && error.StartsWith(StillProcessing, StringComparison.Ordinal) ? "" : entry.Version, // not done yet: looked at again next time
                Error = error,
                At = time.GetUtcNow(),
            };
            await save(cancellationToken);
        }
    }

    /// <summary>
    /// Uploads a file to its document in pieces and submits it; a file queued for the background is waited for until it
    /// is ready or has failed (at most <see cref="SourceOptions.DocumentTimeout"/>), so one sync never floods the
    /// embedders and the file's error is known. Returns the outcome (a queued file is Created or Updated by whether its document existed) and the error, if any.
    /// </summary>
    private async Task<(IngestStatus Status, string? Error)> IngestAsync(IDocumentGrain document, byte[] content, DocumentUpload upload, CancellationToken cancellationToken)
    {
        var existed = await document.GetAsync() is not null; // whether a queued file adds a document or updates one
        var uploadId = Guid.NewGuid().ToString("N");
        for (var offset = 0; offset < content.Length; offset += UploadPieceBytes)
        {
            await document.UploadPartAsync(uploadId, offset, content[offset..Math.Min(content.Length, offset + UploadPieceBytes)], cancellationToken);
        }

        var result = await document.SubmitUploadAsync(uploadId, upload, content.Length, cancellationToken);
        if (result.Status != IngestStatus.Accepted)
        {
            return (result.Status, null);
        }

        var queued = existed ? IngestStatus.Updated : IngestStatus.Created;

        var deadline = time.GetUtcNow() + options.DocumentTimeout;
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            var info = await document.GetAsync();
            switch (info?.Status)
            {
                case DocumentStatus.Ready:
                    return (queued, null);
                case DocumentStatus.Failed:
                    return (queued, info.Error ?? "The document failed.");
                case null:
                    return (queued, "The document was deleted during the sync.");
            }

            if (time.GetUtcNow() >= deadline)
            {
                return (queued, $"{StillProcessing} after {options.DocumentTimeout} (Sources:DocumentTimeout); the next sync looks at it again.");
            }

            await Task.Delay(delay, time, cancellationToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(2000, delay.TotalMilliseconds * 1.5));
        }
    }

    private Dictionary<string, MetadataValue> Metadata(SourceEntry entry)
    {
        var metadata = new Dictionary<string, MetadataValue>(StringComparer.Ordinal)
        {
            ["source"] = sourceId,
            ["path"] = entry.Path[..Math.Min(entry.Path.Length, 4096)],
        };
        if (entry.Url is { } url)
        {
            metadata["url"] = url.AbsoluteUri[..Math.Min(url.AbsoluteUri.Length, 4096)];
        }

        return metadata;
    }

    /// <summary>What a failed sync tells its user: the reason in the source's own terms, never a secret or a stack.</summary>
    public static string Describe(Exception exception) => exception switch
    {
        SourceRefusedException or InvalidOperationException => exception.Message,
        HttpRequestException http => $"The site could not be read: {http.Message}",
        Azure.RequestFailedException azure => $"Azure Blob Storage answered {azure.Status} ({azure.ErrorCode}): the container may not exist or the credentials are wrong.",
        Amazon.S3.AmazonS3Exception s3 => $"The S3 server answered {(int)s3.StatusCode} ({s3.ErrorCode}): the bucket may not exist or the credentials are wrong.",
        Amazon.Runtime.AmazonServiceException aws => $"The S3 server could not be reached: {aws.Message}",
        IOException or UnauthorizedAccessException => $"The folder could not be read: {exception.Message}",
        TimeoutException => "The source did not answer in time.",
        _ => $"The sync failed ({exception.GetType().Name}); the silo's log has the details, and the next sync resumes.",
    };

    private IDocumentGrain Document(string documentId) => grains.GetGrain<IDocumentGrain>(GrainKeys.Document(collectionKey, documentId));

    /// <summary>A running sync's counts.</summary>
    private sealed class Progress(DateTimeOffset startedAt, string trigger)
    {
        public int Added { get; set; }

        public int Updated { get; set; }

        public int Unchanged { get; set; }

        public int Deleted { get; set; }

        public int Failed { get; set; }

        public int Skipped { get; set; }

        public SourceSyncReport Report(SourceSyncState outcome, DateTimeOffset? finishedAt, string? error = null) =>
            new(startedAt, finishedAt, outcome, Added, Updated, Unchanged, Deleted, Failed, Skipped, error, trigger);
    }
}

/// <summary>What sources log.</summary>
internal static partial class SourceLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Source {Source} synced: {Added} added, {Updated} updated, {Unchanged} unchanged, {Deleted} deleted, {Failed} failed")]
    public static partial void Synced(this ILogger logger, string source, int added, int updated, int unchanged, int deleted, int failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {Source}: sync failed: {Reason}")]
    public static partial void SyncFailed(this ILogger logger, Exception exception, string source, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Source {Source}: {Path} not ingested: {Error}")]
    public static partial void FileFailed(this ILogger logger, string source, string path, string error);
}
