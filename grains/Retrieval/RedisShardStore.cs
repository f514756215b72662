using System.Runtime.CompilerServices;
using Orleans.Serialization;
using StackExchange.Redis;

namespace OrleansRag.Retrieval;

/// <summary>
/// Shard entries in Redis: one hash per shard (<c>{prefix}:shard:{tenant/collection/n}</c>), one field per
/// document holding its summary and chunks with vectors (Orleans binary serialization). HSET/HDEL touch only
/// the document written; a shard activating on any silo restores itself with HSCAN.
/// </summary>
/// <param name="connect">Returns the (shared, already connected) multiplexer.</param>
/// <param name="serializer">Orleans' serializer for entries.</param>
/// <param name="keyPrefix">Prefix of every key, e.g. "orleansrag:{serviceId}".</param>
public sealed class RedisShardStore(Func<Task<IConnectionMultiplexer>> connect, Serializer<ShardEntry> serializer, string keyPrefix) : IShardStore
{
    private const int ScanPageSize = 256;

    public async IAsyncEnumerable<ShardEntry> LoadAsync(string shardKey, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var database = (await connect()).GetDatabase();
        await foreach (var field in database.HashScanAsync(Key(shardKey), pageSize: ScanPageSize).WithCancellation(cancellationToken))
        {
            yield return serializer.Deserialize((byte[])field.Value!) ?? throw new InvalidDataException($"Shard {shardKey} holds an empty entry for {field.Name}.");
        }
    }

    public async Task SaveAsync(string shardKey, ShardEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var database = (await connect()).GetDatabase();
        await database.HashSetAsync(Key(shardKey), entry.Summary.Id, serializer.SerializeToArray(entry));
    }

    public async Task RemoveAsync(string shardKey, string documentId)
    {
        var database = (await connect()).GetDatabase();
        await database.HashDeleteAsync(Key(shardKey), documentId);
    }

    private RedisKey Key(string shardKey) => $"{keyPrefix}:shard:{shardKey}";
}
