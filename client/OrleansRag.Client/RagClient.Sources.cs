namespace OrleansRag.Client;

/// <summary>Sources: folders, buckets and web sites kept in sync with a collection by the cluster.</summary>
public sealed partial class RagClient
{
    public async Task<SourceInfo?> AddSourceAsync(string collection, string sourceId, SourceSettings settings, SourceSecrets? secrets = null, CancellationToken cancellationToken = default)
    {
        CheckSourceIds(collection, sourceId);
        RagValidation.ThrowIfInvalid(RagValidation.CheckSource(settings, secrets), nameof(settings));
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        return await Source(tenant, collection, sourceId).CreateAsync(settings, secrets ?? SourceSecrets.None, cancellationToken);
    }

    public async Task<SourceInfo?> GetSourceAsync(string collection, string sourceId, CancellationToken cancellationToken = default)
    {
        CheckSourceIds(collection, sourceId);
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        return await _retry.ExecuteAsync(async token => await Source(tenant, collection, sourceId).GetAsync().WaitAsync(token), cancellationToken);
    }

    public async Task<IReadOnlyList<SourceInfo>> ListSourcesAsync(string collection, CancellationToken cancellationToken = default)
    {
        CheckCollection(collection);
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        var ids = await _retry.ExecuteAsync(async token => await Registry(tenant, collection).ListSourcesAsync().WaitAsync(token), cancellationToken);
        var sources = await Task.WhenAll(ids.Select(id => Source(tenant, collection, id).GetAsync().WaitAsync(cancellationToken)));
        return [.. sources.OfType<SourceInfo>()];
    }

    public async Task<SourceInfo?> SyncSourceAsync(string collection, string sourceId, CancellationToken cancellationToken = default)
    {
        CheckSourceIds(collection, sourceId);
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        return await Source(tenant, collection, sourceId).SyncAsync().WaitAsync(cancellationToken);
    }

    public Task<SourceInfo?> WaitForSyncAsync(string collection, string sourceId, DateTimeOffset since, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        PollAsync(token => GetSourceAsync(collection, sourceId, token), source => source is null || (source.State != SourceSyncState.Syncing && source.LastSync?.StartedAt >= since),
            _ => $"Source '{sourceId}' has not finished a sync started after {since:u} within {timeout}.", timeout, cancellationToken);

    public async Task<bool> DeleteSourceAsync(string collection, string sourceId, bool keepDocuments = false, CancellationToken cancellationToken = default)
    {
        CheckSourceIds(collection, sourceId);
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        return await Source(tenant, collection, sourceId).DeleteAsync(keepDocuments, cancellationToken);
    }

    private ISourceGrain Source(string tenant, string collection, string sourceId) =>
        _grains.GetGrain<ISourceGrain>(GrainKeys.Document(tenant, collection, sourceId));

    private static void CheckSourceIds(string collection, string sourceId)
    {
        CheckCollection(collection);
        RagValidation.ThrowIfInvalid(RagValidation.CheckSourceId("source id", sourceId), nameof(sourceId));
    }
}
