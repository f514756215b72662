using System.Collections.Concurrent;
using OrleansRag.Retrieval;

namespace OrleansRag.Tests.Cluster;

/// <summary>
/// The in-memory shard store with storage failures on demand: a test names a document and how many commits of
/// it fail (as a Redis outage would fail them), so that retries are exercised without timing tricks.
/// </summary>
public sealed class FaultInjectingShardStore(IShardStore inner) : IShardStore
{
    private readonly ConcurrentDictionary<string, int> _failCommits = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Func<Exception>> _failures = new(StringComparer.Ordinal);

    /// <summary>
    /// The next <paramref name="times"/> commits of <paramref name="documentId"/> (in any shard) throw: an
    /// <see cref="IOException"/>, or what <paramref name="failure"/> makes (a Redis client's own exception, say).
    /// </summary>
    public void FailCommits(string documentId, int times, Func<Exception>? failure = null)
    {
        _failures[documentId] = failure ?? (() => new IOException($"injected storage failure for {documentId}"));
        _failCommits[documentId] = times;
    }

    public IAsyncEnumerable<ShardEntry> LoadAsync(string shardKey, CancellationToken cancellationToken = default) => inner.LoadAsync(shardKey, cancellationToken);

    public Task SavePartAsync(string shardKey, string documentId, string version, int part, IndexedChunk[] chunks, CancellationToken cancellationToken = default) =>
        inner.SavePartAsync(shardKey, documentId, version, part, chunks, cancellationToken);

    public Task<IndexedChunk[]> LoadPartsAsync(string shardKey, string documentId, string version, int partCount, CancellationToken cancellationToken = default) =>
        inner.LoadPartsAsync(shardKey, documentId, version, partCount, cancellationToken);

    public Task CommitAsync(string shardKey, ShardEntry entry, string? previousVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Summary.Status == DocumentStatus.Ready && _failCommits.TryGetValue(entry.Summary.Id, out var left) && left > 0)
        {
            _failCommits[entry.Summary.Id] = left - 1;
            throw _failures[entry.Summary.Id]();
        }

        return inner.CommitAsync(shardKey, entry, previousVersion, cancellationToken);
    }

    public Task DiscardPartsAsync(string shardKey, string documentId, string version, CancellationToken cancellationToken = default) =>
        inner.DiscardPartsAsync(shardKey, documentId, version, cancellationToken);

    public Task RemoveAsync(string shardKey, string documentId, string? version, CancellationToken cancellationToken = default) =>
        inner.RemoveAsync(shardKey, documentId, version, cancellationToken);
}
