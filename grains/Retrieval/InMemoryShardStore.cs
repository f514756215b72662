using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace OrleansRag.Retrieval;

/// <summary>
/// The embedded default's shard store: entries live in this process's memory (a restart starts empty). One
/// instance may be shared by several silos hosted in one process (test clusters).
/// </summary>
public sealed class InMemoryShardStore : IShardStore
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, ShardEntry>> _shards = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<int, IndexedChunk[]>> _parts = new(StringComparer.Ordinal);

    public async IAsyncEnumerable<ShardEntry> LoadAsync(string shardKey, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (_shards.TryGetValue(shardKey, out var entries))
        {
            foreach (var entry in entries.Values)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return entry.PartCount == 0
                    ? entry
                    : entry with { Chunks = await LoadPartsAsync(shardKey, entry.Summary.Id, entry.Version!, entry.PartCount, cancellationToken) };
            }
        }
    }

    public Task SavePartAsync(string shardKey, string documentId, string version, int part, IndexedChunk[] chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        _parts.GetOrAdd(PartsKey(shardKey, documentId, version), _ => new())[part] = chunks;
        return Task.CompletedTask;
    }

    public Task<IndexedChunk[]> LoadPartsAsync(string shardKey, string documentId, string version, int partCount, CancellationToken cancellationToken = default)
    {
        if (!_parts.TryGetValue(PartsKey(shardKey, documentId, version), out var parts) || Enumerable.Range(0, partCount).Any(p => !parts.ContainsKey(p)))
        {
            throw new InvalidDataException($"Shard {shardKey} lacks parts of version {version} of document {documentId}.");
        }

        return Task.FromResult<IndexedChunk[]>([.. Enumerable.Range(0, partCount).SelectMany(p => parts[p])]);
    }

    public Task CommitAsync(string shardKey, ShardEntry entry, string? previousVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        _shards.GetOrAdd(shardKey, _ => new(StringComparer.Ordinal))[entry.Summary.Id] = entry;
        if (previousVersion is not null && previousVersion != entry.Version)
        {
            _parts.TryRemove(PartsKey(shardKey, entry.Summary.Id, previousVersion), out _);
        }

        return Task.CompletedTask;
    }

    public Task DiscardPartsAsync(string shardKey, string documentId, string version, CancellationToken cancellationToken = default)
    {
        _parts.TryRemove(PartsKey(shardKey, documentId, version), out _);
        return Task.CompletedTask;
    }

    public Task RemoveAsync(string shardKey, string documentId, string? version, CancellationToken cancellationToken = default)
    {
        if (_shards.TryGetValue(shardKey, out var entries))
        {
            entries.TryRemove(documentId, out _);
        }

        if (version is not null)
        {
            _parts.TryRemove(PartsKey(shardKey, documentId, version), out _);
        }

        return Task.CompletedTask;
    }

    private static string PartsKey(string shardKey, string documentId, string version) => $"{shardKey}\n{documentId}\n{version}";
}
