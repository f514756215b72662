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

    public async IAsyncEnumerable<ShardEntry> LoadAsync(string shardKey, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask;
        if (_shards.TryGetValue(shardKey, out var entries))
        {
            foreach (var entry in entries.Values)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return entry;
            }
        }
    }

    public Task SaveAsync(string shardKey, ShardEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        _shards.GetOrAdd(shardKey, _ => new(StringComparer.Ordinal))[entry.Summary.Id] = entry;
        return Task.CompletedTask;
    }

    public Task RemoveAsync(string shardKey, string documentId)
    {
        if (_shards.TryGetValue(shardKey, out var entries))
        {
            entries.TryRemove(documentId, out _);
        }

        return Task.CompletedTask;
    }
}
