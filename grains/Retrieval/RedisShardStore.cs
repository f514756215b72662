using System.Runtime.CompilerServices;
using Orleans.Serialization;
using StackExchange.Redis;

namespace OrleansRag.Retrieval;

/// <summary>
/// Shard entries in Redis: one hash per shard (<c>{prefix}:shard:{tenant/collection/n}</c>), one field per
/// document holding its summary, metadata and (for documents of one part) its chunks with vectors, Orleans
/// binary serialization. A larger document's chunks live in a hash of their own per version
/// (<c>{prefix}:parts:{shard}:{document}:{version}</c>, one field per part) that expires unless the version is
/// committed; the commit (entry written, parts made permanent, previous version's parts dropped) is one
/// MULTI/EXEC transaction. HSET/HDEL touch only the document written; a shard activating on any silo restores
/// itself with HSCAN (plus one HGETALL per multi-part document).
/// </summary>
/// <param name="connect">Returns the (shared, already connected) multiplexer.</param>
/// <param name="entries">Orleans' serializer for entries.</param>
/// <param name="parts">Orleans' serializer for parts.</param>
/// <param name="keyPrefix">Prefix of every key, e.g. "orleansrag:{serviceId}".</param>
public sealed class RedisShardStore(Func<Task<IConnectionMultiplexer>> connect, Serializer<ShardEntry> entries, Serializer<IndexedChunk[]> parts, string keyPrefix) : IShardStore
{
    private const int ScanPageSize = 256;

    /// <summary>How long staged parts of a version that is never committed (a crashed ingest) are kept.</summary>
    private static readonly TimeSpan StagedExpiry = TimeSpan.FromDays(1);

    public async IAsyncEnumerable<ShardEntry> LoadAsync(string shardKey, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var database = (await connect()).GetDatabase();
        await foreach (var field in database.HashScanAsync(Key(shardKey), pageSize: ScanPageSize).WithCancellation(cancellationToken))
        {
            var entry = entries.Deserialize((byte[])field.Value!) ?? throw new InvalidDataException($"Shard {shardKey} holds an empty entry for {field.Name}.");
            yield return entry.PartCount == 0
                ? entry
                : entry with { Chunks = await LoadPartsAsync(shardKey, entry.Summary.Id, entry.Version!, entry.PartCount, cancellationToken) };
        }
    }

    public async Task SavePartAsync(string shardKey, string documentId, string version, int part, IndexedChunk[] chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var database = (await connect()).GetDatabase();
        var key = PartsKey(shardKey, documentId, version);
        var transaction = database.CreateTransaction();
        _ = transaction.HashSetAsync(key, part, parts.SerializeToArray(chunks));
        _ = transaction.KeyExpireAsync(key, StagedExpiry);
        await Execute(transaction, shardKey);
    }

    public async Task<IndexedChunk[]> LoadPartsAsync(string shardKey, string documentId, string version, int partCount, CancellationToken cancellationToken = default)
    {
        var database = (await connect()).GetDatabase();
        var values = await database.HashGetAsync(PartsKey(shardKey, documentId, version), [.. Enumerable.Range(0, partCount).Select(p => (RedisValue)p)]);
        var result = new List<IndexedChunk>();
        for (var part = 0; part < values.Length; part++)
        {
            if (values[part].IsNull)
            {
                throw new InvalidDataException($"Shard {shardKey} lacks part {part} of version {version} of document {documentId}.");
            }

            result.AddRange(parts.Deserialize((byte[])values[part]!) ?? []);
        }

        return [.. result];
    }

    public async Task CommitAsync(string shardKey, ShardEntry entry, string? previousVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var database = (await connect()).GetDatabase();
        var transaction = database.CreateTransaction();
        _ = transaction.HashSetAsync(Key(shardKey), entry.Summary.Id, entries.SerializeToArray(entry));
        if (entry.PartCount > 0)
        {
            _ = transaction.KeyPersistAsync(PartsKey(shardKey, entry.Summary.Id, entry.Version!));
        }

        if (previousVersion is not null && previousVersion != entry.Version)
        {
            _ = transaction.KeyDeleteAsync(PartsKey(shardKey, entry.Summary.Id, previousVersion));
        }

        await Execute(transaction, shardKey);
    }

    public async Task DiscardPartsAsync(string shardKey, string documentId, string version, CancellationToken cancellationToken = default)
    {
        var database = (await connect()).GetDatabase();
        await database.KeyDeleteAsync(PartsKey(shardKey, documentId, version));
    }

    public async Task RemoveAsync(string shardKey, string documentId, string? version, CancellationToken cancellationToken = default)
    {
        var database = (await connect()).GetDatabase();
        var transaction = database.CreateTransaction();
        _ = transaction.HashDeleteAsync(Key(shardKey), documentId);
        if (version is not null)
        {
            _ = transaction.KeyDeleteAsync(PartsKey(shardKey, documentId, version));
        }

        await Execute(transaction, shardKey);
    }

    private static async Task Execute(ITransaction transaction, string shardKey)
    {
        if (!await transaction.ExecuteAsync())
        {
            throw new RedisException($"The Redis transaction for shard {shardKey} was not applied.");
        }
    }

    private RedisKey Key(string shardKey) => $"{keyPrefix}:shard:{shardKey}";

    private RedisKey PartsKey(string shardKey, string documentId, string version) => $"{keyPrefix}:parts:{shardKey}:{documentId}:{version}";
}
