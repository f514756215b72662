using Microsoft.Extensions.Logging;

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
/// Owns one source: its settings and secrets, the files it brought into its collection, its schedule and the lifecycle
/// of its syncs. A sync is a <see cref="SourceSync"/> run in the background (a grain timer that interleaves with calls,
/// so reads answer during it), one at a time, its files saved as they land. A reminder ticks each minute, starting a
/// sync when one is due and resuming one a dead silo left; a folder is also watched while the grain is active.
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
    private static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan WriteEvery = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _writes = new(1, 1);
    private IGrainTimer? _syncTimer;
    private IGrainTimer? _watchTimer;
    private FileSystemWatcher? _watcher;
    private CancellationTokenSource? _cancel;
    private TaskCompletionSource? _finished;
    private SourceSync? _run;
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
            await readers.CheckAsync(settings, secrets, cancellationToken);
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
        if (!protector.Encrypts && state.State.SecretNames.Count > 0)
        {
            LogSecretsNotEncrypted(this.GetPrimaryKeyString());
        }
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
                // A failure part-way leaves the source in place, knowing only the files whose documents remain: deleting
                // it again goes on, and a sync ingests again what it still lists.
                try
                {
                    foreach (var (path, file) in state.State.Files.ToList())
                    {
                        await Document(file.DocumentId).DeleteAsync(cancellationToken);
                        state.State.Files.Remove(path);
                    }
                }
                catch
                {
                    await PersistAsync(force: true, CancellationToken.None);
                    throw;
                }
            }

            await GrainFactory.GetGrain<ICollectionGrain>(CollectionKey).DetachSourceAsync(SourceId);
            await state.ClearStateAsync(cancellationToken);
            state.State = new SourceState();
            await ForgetReminderAsync(cancellationToken);

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
            await ForgetReminderAsync(CancellationToken.None);

            return;
        }

        Watch(); // a folder's watcher lives with the activation: the tick brings both back after a silo's loss
        if (_finished is null && (state.State.Running || state.State.NextSyncAt <= time.GetUtcNow())) // Running with none here: a dead silo's
        {
            Start(state.State.Running ? "resume" : "schedule");
        }
    }

    private async Task ForgetReminderAsync(CancellationToken cancellationToken)
    {
        if (await this.GetReminder(ReminderName, cancellationToken) is { } reminder)
        {
            await this.UnregisterReminder(reminder, cancellationToken);
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
            _run = null;
            finished?.TrySetResult();
        }
    }

    private async Task SyncOnceAsync(string trigger, CancellationToken cancellationToken)
    {
        var run = _run = new SourceSync(CollectionKey, SourceId, GrainFactory, Options, readers.MaxFileBytes, time, logger, trigger);
        SourceSyncReport report;
        try
        {
            state.State.Running = true;
            await PersistAsync(force: true, cancellationToken);
            report = await run.RunAsync(
                token => readers.OpenAsync(state.State.Settings!, protector.Unprotect(this.GetPrimaryKeyString(), state.State.Secrets), token),
                state.State.Files, token => PersistAsync(force: false, token), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            report = run.Stopped();
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

    private IDocumentGrain Document(string documentId) => GrainFactory.GetGrain<IDocumentGrain>(GrainKeys.Document(CollectionKey, documentId));

    private SourceInfo Info()
    {
        var current = state.State;
        var errors = current.Files.Where(f => f.Value.Error is not null)
            .OrderByDescending(f => f.Value.At).Take(MaxErrorsShown)
            .Select(f => new SourceFileError(f.Key, f.Value.Error!, f.Value.At)).ToList();
        var last = _run?.Snapshot() ?? current.LastSync;
        return new SourceInfo(
            GrainKeys.CollectionName(CollectionKey),
            SourceId,
            current.Settings!,
            current.SecretNames,
            _finished is not null ? SourceSyncState.Syncing : current.LastSync?.State ?? SourceSyncState.Pending, // started, or running
            current.CreatedAt,
            last,
            _finished is not null ? null : current.NextSyncAt,
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

        FileSystemWatcher? watcher = null;
        try
        {
            watcher = new FileSystemWatcher(FolderSourceReader.Confine(settings.Path!, Options.FolderRoots))
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
            (_watcher, watcher) = (watcher, null);
            _watchTimer = this.RegisterGrainTimer(CheckChangesAsync, new GrainTimerCreationOptions(Options.WatchDelay, Options.WatchDelay) { Interleave = true, KeepAlive = true });
        }
        catch (Exception exception) when (exception is SourceRefusedException or IOException or ArgumentException or UnauthorizedAccessException)
        {
            LogWatchFailed(exception, this.GetPrimaryKeyString()); // the schedule still syncs it (inotify's limit reached, the folder gone)
        }
        finally
        {
            watcher?.Dispose();
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Source {Source} ({Kind}) created")]
    private partial void LogCreated(string source, SourceKind kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {Source}: its credentials are stored unencrypted because Security:ClusterSecret is not set; set it wherever grain state is not in memory")]
    private partial void LogSecretsNotEncrypted(string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "Source {Source} deleted (documents kept: {KeepDocuments})")]
    private partial void LogDeleted(string source, bool keepDocuments);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {Source}: the sync's result could not be stored; the next tick syncs again")]
    private partial void LogStateNotSaved(Exception exception, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {Source}: its folder cannot be watched; it is synced on its schedule only")]
    private partial void LogWatchFailed(Exception exception, string source);
}
