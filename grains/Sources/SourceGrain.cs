using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansRag.Sources;

/// <summary>A source's stored state: settings, secrets (encrypted), the files it brought in, the last sync and the next.</summary>
[GenerateSerializer, Alias("OrleansRag.SourceState")]
public sealed class SourceState
{
    [Id(0)] public SourceSettings? Settings { get; set; }

    /// <summary>The credentials as <see cref="SourceSecretProtector"/> keeps them.</summary>
    [Id(1)] public string? Secrets { get; set; }

    [Id(2)] public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The files brought into the collection, by path.</summary>
    [Id(3)] public Dictionary<string, SourceFile> Files { get; set; } = new(StringComparer.Ordinal);

    [Id(4)] public SourceSyncReport? LastSync { get; set; }

    [Id(5)] public DateTimeOffset? NextSyncAt { get; set; }

    /// <summary>A sync started and has not finished: when its silo died, the next reminder tick resumes it.</summary>
    [Id(6)] public bool Running { get; set; }

    /// <summary>Which secrets are set (what a read shows of them).</summary>
    [Id(7)] public List<string> SecretNames { get; set; } = [];
}

/// <summary>
/// Owns one source: its settings, the files it brought into its collection and the schedule. A sync runs in the
/// background (a grain timer that interleaves with calls, so reads answer during it): <see cref="SourcePlanner"/> says
/// what to do with the complete listing, each file is uploaded to its document grain and waited for until ready, its
/// version recorded as it lands (so a sync stopped part-way resumes where it was, and documents keep their ids: no
/// duplicates), and the documents of vanished files are deleted last. A reminder ticks each minute, starting a sync
/// when one is due and resuming one a dead silo left; a folder is also watched.
/// </summary>
[GrainType("source")] // stored state and reminders are keyed by it
public sealed partial class SourceGrain(
    [PersistentState("source", RagConstants.StorageName)] IPersistentState<SourceState> state,
    SourceReaders readers,
    SourceSecretProtector protector,
    TimeProvider time,
    ILogger<SourceGrain> logger) : Grain, ISourceGrain, IRemindable, IDisposable
{
    private const string ReminderName = "sync";
    private const int MaxErrorsShown = 100;
    private const int UploadPieceBytes = 1024 * 1024;
    private static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan WriteEvery = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _writes = new(1, 1);
    private IGrainTimer? _syncTimer;
    private IGrainTimer? _watchTimer;
    private FileSystemWatcher? _watcher;
    private CancellationTokenSource? _cancel;
    private TaskCompletionSource? _finished;
    private Progress? _progress;
    private string _trigger = "schedule";
    private bool _again;
    private bool _deleting;
    private long _changedAt;
    private DateTimeOffset _lastWrite;

    private SourceOptions Options => readers.Options;

    private string CollectionKey => GrainKeys.SplitLast(this.GetPrimaryKeyString()).CollectionKey;

    private string SourceId => GrainKeys.SplitLast(this.GetPrimaryKeyString()).Last;

    private TimeSpan Interval => state.State.Settings?.IntervalMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : Options.DefaultInterval;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Settings is not null)
        {
            Watch();
            if (state.State.Running)
            {
                Start("resume"); // its silo died mid-sync
            }
        }

        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _cancel?.Cancel();
        StopWatching();
        return Task.CompletedTask;
    }

    public async Task<SourceInfo?> CreateAsync(SourceSettings settings, SourceSecrets secrets, CancellationToken cancellationToken = default)
    {
        RagValidation.ThrowIfInvalid(RagValidation.CheckSource(settings, secrets), nameof(settings));
        if (state.State.Settings is not null)
        {
            return null;
        }

        try
        {
            readers.Check(settings);
        }
        catch (SourceRefusedException refused)
        {
            throw new RagValidationException(refused.Message, nameof(settings));
        }

        var collection = GrainFactory.GetGrain<ICollectionGrain>(CollectionKey);
        await collection.EnsureCreatedAsync();
        if (!await collection.AttachSourceAsync(SourceId))
        {
            throw new RagValidationException($"Collection '{GrainKeys.CollectionName(CollectionKey)}' has {RagConstants.MaxSourcesPerCollection} sources, the most it may have.", "id");
        }

        var now = time.GetUtcNow();
        state.State = new SourceState
        {
            Settings = settings,
            Secrets = protector.Protect(this.GetPrimaryKeyString(), secrets),
            SecretNames = [.. secrets.Names()],
            CreatedAt = now,
            NextSyncAt = now,
        };
        await state.WriteStateAsync(cancellationToken);
        await this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod, cancellationToken);
        LogCreated(this.GetPrimaryKeyString(), settings.Kind);
        Watch();
        Start("created");
        return Info();
    }

    public Task<SourceInfo?> GetAsync() => Task.FromResult(state.State.Settings is null ? null : Info());

    public Task<SourceInfo?> SyncAsync()
    {
        if (state.State.Settings is null)
        {
            return Task.FromResult<SourceInfo?>(null);
        }

        Start("request");
        return Task.FromResult<SourceInfo?>(Info());
    }

    public async Task<bool> DeleteAsync(bool keepDocuments = false, CancellationToken cancellationToken = default)
    {
        if (state.State.Settings is null)
        {
            return false;
        }

        _deleting = true;
        try
        {
            StopWatching();
            if (_finished is { } running)
            {
                _cancel?.Cancel();
                await running.Task.WaitAsync(cancellationToken);
            }

            if (!keepDocuments)
            {
                // A failure part-way leaves the source in place: deleting it again goes on (a deleted document answers false).
                foreach (var file in state.State.Files.Values)
                {
                    await Document(file.DocumentId).DeleteAsync(cancellationToken);
                }
            }

            await GrainFactory.GetGrain<ICollectionGrain>(CollectionKey).DetachSourceAsync(SourceId);
            await state.ClearStateAsync(cancellationToken);
            state.State = new SourceState();
            if (await this.GetReminder(ReminderName, cancellationToken) is { } reminder)
            {
                await this.UnregisterReminder(reminder, cancellationToken);
            }

            LogDeleted(this.GetPrimaryKeyString(), keepDocuments);
            return true;
        }
        finally
        {
            _deleting = false;
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (state.State.Settings is null)
        {
            if (await this.GetReminder(ReminderName) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }

            return;
        }

        Watch(); // a folder's watcher lives with the activation: the tick brings both back after a silo's loss
        if (state.State.Running || state.State.NextSyncAt <= time.GetUtcNow())
        {
            Start(state.State.Running ? "resume" : "schedule");
        }
    }

    /// <summary>Starts a sync in the background, or asks the running one to go round once more when it ends.</summary>
    private void Start(string trigger)
    {
        if (_deleting)
        {
            return;
        }

        if (_finished is not null)
        {
            _again = true;
            return;
        }

        _trigger = trigger;
        _finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _cancel?.Dispose();
        _cancel = new CancellationTokenSource();
        _syncTimer?.Dispose();
        _syncTimer = this.RegisterGrainTimer(RunAsync, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan) { Interleave = true, KeepAlive = true });
    }

    private async Task RunAsync(CancellationToken timerToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(timerToken, _cancel!.Token);
        try
        {
            do
            {
                _again = false;
                await SyncOnceAsync(_trigger, cancel.Token);
                _trigger = "again";
            }
            while (_again && !cancel.IsCancellationRequested);
        }
        finally
        {
            var finished = _finished;
            _finished = null;
            _progress = null;
            finished?.TrySetResult();
        }
    }

    private async Task SyncOnceAsync(string trigger, CancellationToken cancellationToken)
    {
        var progress = _progress = new Progress(time.GetUtcNow(), trigger);
        SourceSyncReport report;
        try
        {
            state.State.Running = true;
            await PersistAsync(force: true, cancellationToken);
            using var reader = readers.Open(state.State.Settings!, protector.Unprotect(this.GetPrimaryKeyString(), state.State.Secrets));
            var listed = new List<SourceEntry>();
            await foreach (var entry in reader.ListAsync(cancellationToken))
            {
                listed.Add(entry);
                if (listed.Count > Options.MaxFiles)
                {
                    throw new SourceRefusedException($"The source lists more than {Options.MaxFiles} files (Sources:MaxFiles); nothing was synced. Narrow it (a prefix, a subfolder) or raise the limit.");
                }
            }

            var plan = SourcePlanner.Plan(state.State.Files, listed);
            progress.Unchanged = plan.Unchanged;
            progress.Skipped = plan.Skipped;
            var taken = new HashSet<string>(state.State.Files.Values.Select(f => f.DocumentId), StringComparer.Ordinal);
            var queue = new Queue<SourceEntry>(plan.Ingest);
            using (var lanes = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                // The first failure of the source itself stops every lane: what is done is recorded, the rest waits for the next sync.
                await Task.WhenAll(Enumerable.Range(0, Math.Min(Options.Parallelism, queue.Count)).Select(async _ =>
                {
                    try
                    {
                        await IngestAllAsync(queue, reader, taken, progress, lanes.Token);
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
                await Document(state.State.Files[path].DocumentId).DeleteAsync(cancellationToken);
                state.State.Files.Remove(path);
                progress.Deleted++;
                await PersistAsync(force: false, cancellationToken);
            }

            report = progress.Report(SourceSyncState.Succeeded, time.GetUtcNow());
            LogSynced(this.GetPrimaryKeyString(), report.Added, report.Updated, report.Unchanged, report.Deleted, report.Failed);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            report = progress.Report(SourceSyncState.Failed, time.GetUtcNow(), "The sync was stopped (the source is being deleted, or its silo is shutting down); the next one resumes.");
        }
        catch (Exception exception)
        {
            var reason = Describe(exception);
            report = progress.Report(SourceSyncState.Failed, time.GetUtcNow(), reason);
            LogSyncFailed(exception, this.GetPrimaryKeyString(), reason);
        }

        if (_deleting)
        {
            return;
        }

        state.State.Running = false;
        state.State.LastSync = report;
        state.State.NextSyncAt = report.FinishedAt + (report.State == SourceSyncState.Succeeded ? Interval : Options.RetryDelay);
        try
        {
            await PersistAsync(force: true, CancellationToken.None);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogStateNotSaved(exception, this.GetPrimaryKeyString()); // the next tick syncs again; recorded files answer unchanged
        }
    }

    /// <summary>One lane of a sync: takes files off the queue until it is empty, each read, ingested, waited for and recorded.</summary>
    private async Task IngestAllAsync(Queue<SourceEntry> queue, ISourceReader reader, HashSet<string> taken, Progress progress, CancellationToken cancellationToken)
    {
        while (queue.TryDequeue(out var entry))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var known = state.State.Files.GetValueOrDefault(entry.Path);
            var documentId = known?.DocumentId ?? SourcePlanner.DocumentId(SourceId, entry.Path, taken.Contains);
            taken.Add(documentId);
            string? error;
            try
            {
                var content = await reader.ReadAsync(entry, readers.MaxFileBytes, cancellationToken);
                var upload = new DocumentUpload(entry.ContentType!, Metadata: Metadata(entry));
                (var outcome, error) = await IngestAsync(Document(documentId), content, upload, cancellationToken);
                switch (outcome)
                {
                    case IngestStatus.Created or IngestStatus.Accepted when known is null && error is null:
                        progress.Added++;
                        break;
                    case IngestStatus.Updated or IngestStatus.Accepted when error is null:
                        progress.Updated++;
                        break;
                    case IngestStatus.Unchanged:
                        progress.Unchanged++;
                        break;
                }
            }
            catch (Exception exception) when (exception is SourceFileException or DocumentRejectedException or RagValidationException)
            {
                error = exception.Message;
            }

            if (error is not null)
            {
                progress.Failed++;
                LogFileFailed(this.GetPrimaryKeyString(), entry.Path, error);
            }

            state.State.Files[entry.Path] = new SourceFile
            {
                DocumentId = documentId,
                Version = error is not null && error.StartsWith(StillProcessing, StringComparison.Ordinal) ? "" : entry.Version, // not done yet: looked at again next time
                Error = error,
                At = time.GetUtcNow(),
            };
            await PersistAsync(force: false, cancellationToken);
        }
    }

    private const string StillProcessing = "Still processing";

    /// <summary>
    /// Uploads a file to its document in pieces and submits it; a file queued for the background is waited for until it
    /// is ready or has failed (at most <see cref="SourceOptions.DocumentTimeout"/>), so one sync never floods the
    /// embedders and the file's error is known. Returns the outcome and the error, if any.
    /// </summary>
    private async Task<(IngestStatus Status, string? Error)> IngestAsync(IDocumentGrain document, byte[] content, DocumentUpload upload, CancellationToken cancellationToken)
    {
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

        var deadline = time.GetUtcNow() + Options.DocumentTimeout;
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            var info = await document.GetAsync();
            switch (info?.Status)
            {
                case DocumentStatus.Ready:
                    return (IngestStatus.Accepted, null);
                case DocumentStatus.Failed:
                    return (IngestStatus.Accepted, info.Error ?? "The document failed.");
                case null:
                    return (IngestStatus.Accepted, "The document was deleted during the sync.");
            }

            if (time.GetUtcNow() >= deadline)
            {
                return (IngestStatus.Accepted, $"{StillProcessing} after {Options.DocumentTimeout} (Sources:DocumentTimeout); the next sync looks at it again.");
            }

            await Task.Delay(delay, time, cancellationToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(2000, delay.TotalMilliseconds * 1.5));
        }
    }

    private Dictionary<string, MetadataValue> Metadata(SourceEntry entry)
    {
        var metadata = new Dictionary<string, MetadataValue>(StringComparer.Ordinal)
        {
            ["source"] = SourceId,
            ["path"] = entry.Path[..Math.Min(entry.Path.Length, 4096)],
        };
        if (entry.Url is { } url)
        {
            metadata["url"] = url.AbsoluteUri[..Math.Min(url.AbsoluteUri.Length, 4096)];
        }

        return metadata;
    }

    /// <summary>Writes the state at most every <see cref="WriteEvery"/> during a sync (always when forced), one write at a time.</summary>
    private async Task PersistAsync(bool force, CancellationToken cancellationToken)
    {
        if (!force && time.GetUtcNow() - _lastWrite < WriteEvery)
        {
            return;
        }

        await _writes.WaitAsync(cancellationToken);
        try
        {
            if (state.State.Settings is not null)
            {
                await state.WriteStateAsync(CancellationToken.None);
                _lastWrite = time.GetUtcNow();
            }
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>What a failed sync tells its user: the reason in the source's own terms, never a secret or a stack.</summary>
    private static string Describe(Exception exception) => exception switch
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

    private IDocumentGrain Document(string documentId) => GrainFactory.GetGrain<IDocumentGrain>(GrainKeys.Document(CollectionKey, documentId));

    private SourceInfo Info()
    {
        var current = state.State;
        var errors = current.Files.Where(f => f.Value.Error is not null)
            .OrderByDescending(f => f.Value.At).Take(MaxErrorsShown)
            .Select(f => new SourceFileError(f.Key, f.Value.Error!, f.Value.At)).ToList();
        var last = _progress?.Report(SourceSyncState.Syncing, null) ?? current.LastSync;
        return new SourceInfo(
            GrainKeys.CollectionName(CollectionKey),
            SourceId,
            current.Settings!,
            current.SecretNames,
            _progress is not null ? SourceSyncState.Syncing : current.LastSync?.State ?? SourceSyncState.Pending,
            current.CreatedAt,
            last,
            _progress is not null ? null : current.NextSyncAt,
            current.Files.Count(f => f.Value.Error is null),
            errors,
            (int)Interval.TotalMinutes,
            _watcher is not null);
    }

    /// <summary>Watches a folder source (unless its settings say watch: false): a change starts a sync once changes have settled.</summary>
    private void Watch()
    {
        if (_watcher is not null || state.State.Settings is not { Kind: SourceKind.Folder, Watch: not false } settings)
        {
            return;
        }

        try
        {
            var watcher = new FileSystemWatcher(FolderSourceReader.Confine(settings.Path!, Options.FolderRoots))
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            FileSystemEventHandler changed = (_, _) => Interlocked.Exchange(ref _changedAt, time.GetUtcNow().UtcTicks);
            watcher.Created += changed;
            watcher.Changed += changed;
            watcher.Deleted += changed;
            watcher.Renamed += (_, _) => Interlocked.Exchange(ref _changedAt, time.GetUtcNow().UtcTicks);
            watcher.Error += (_, _) => Interlocked.Exchange(ref _changedAt, time.GetUtcNow().UtcTicks); // events were lost: a sync finds what changed
            watcher.EnableRaisingEvents = true;
            _watcher = watcher;
            _watchTimer = this.RegisterGrainTimer(CheckChangesAsync, new GrainTimerCreationOptions(Options.WatchDelay, Options.WatchDelay) { Interleave = true, KeepAlive = true });
        }
        catch (Exception exception) when (exception is SourceRefusedException or IOException or ArgumentException or UnauthorizedAccessException)
        {
            LogWatchFailed(exception, this.GetPrimaryKeyString()); // the schedule still syncs it
        }
    }

    private Task CheckChangesAsync(CancellationToken cancellationToken)
    {
        var changedAt = Interlocked.Read(ref _changedAt);
        if (changedAt != 0 && time.GetUtcNow().UtcTicks - changedAt >= Options.WatchDelay.Ticks
            && Interlocked.CompareExchange(ref _changedAt, 0, changedAt) == changedAt)
        {
            Start("watch");
        }

        return Task.CompletedTask;
    }

    private void StopWatching()
    {
        _watchTimer?.Dispose();
        _watchTimer = null;
        _watcher?.Dispose();
        _watcher = null;
    }

    public void Dispose()
    {
        StopWatching();
        _cancel?.Dispose();
        _writes.Dispose();
    }

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Source {Source} ({Kind}) created")]
    private partial void LogCreated(string source, SourceKind kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "Source {Source} deleted (documents kept: {KeepDocuments})")]
    private partial void LogDeleted(string source, bool keepDocuments);

    [LoggerMessage(Level = LogLevel.Information, Message = "Source {Source} synced: {Added} added, {Updated} updated, {Unchanged} unchanged, {Deleted} deleted, {Failed} failed")]
    private partial void LogSynced(string source, int added, int updated, int unchanged, int deleted, int failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {Source}: sync failed: {Reason}")]
    private partial void LogSyncFailed(Exception exception, string source, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Source {Source}: {Path} not ingested: {Error}")]
    private partial void LogFileFailed(string source, string path, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {Source}: the sync's result could not be stored; the next tick syncs again")]
    private partial void LogStateNotSaved(Exception exception, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {Source}: its folder cannot be watched; it is synced on its schedule only")]
    private partial void LogWatchFailed(Exception exception, string source);
}
