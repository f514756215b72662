using System.Collections.Concurrent;
using StackExchange.Redis;

namespace OrleansRag.Ingestion;

/// <summary>
/// Where an uploaded file waits, durably, until the pipeline has ingested it (and between attempts), so that a
/// silo lost mid-ingest leaves nothing to re-send. Uploads arrive in pieces; each append names the offset it
/// expects, so a retried piece is never appended twice.
/// </summary>
public interface IDocumentSourceStore
{
    /// <summary>Appends <paramref name="data"/> at <paramref name="offset"/> (already there: no-op; a gap or overlap: <see cref="InvalidDataException"/>).</summary>
    Task AppendAsync(string key, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>The stored bytes, or null when nothing is stored under <paramref name="key"/>.</summary>
    Task<byte[]?> ReadAsync(string key, CancellationToken cancellationToken = default);

    Task DeleteAsync(string key, CancellationToken cancellationToken = default);
}

/// <summary>The embedded default's source store: this process's memory.</summary>
public sealed class InMemoryDocumentSourceStore : IDocumentSourceStore
{
    private readonly ConcurrentDictionary<string, MemoryStream> _sources = new(StringComparer.Ordinal);

    public Task AppendAsync(string key, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var stream = _sources.GetOrAdd(key, _ => new MemoryStream());
        lock (stream)
        {
            if (data.Length > 0 && stream.Length == offset + data.Length)
            {
                return Task.CompletedTask; // this piece was appended already (a retried call)
            }

            if (stream.Length != offset)
            {
                throw new InvalidDataException($"Upload {key} has {stream.Length} bytes; a piece for offset {offset} does not follow them.");
            }

            stream.Position = stream.Length;
            stream.Write(data.Span);
        }

        return Task.CompletedTask;
    }

    public Task<byte[]?> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        if (!_sources.TryGetValue(key, out var stream))
        {
            return Task.FromResult<byte[]?>(null);
        }

        lock (stream)
        {
            return Task.FromResult<byte[]?>(stream.ToArray());
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        _sources.TryRemove(key, out _);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Sources in Redis: one string per upload (<c>{prefix}:source:{document key}:{upload}</c>), appended piece by
/// piece with an offset check in one script, read back in ranges, expiring after a day if never deleted.
/// </summary>
public sealed class RedisDocumentSourceStore(Func<Task<IConnectionMultiplexer>> connect, string keyPrefix) : IDocumentSourceStore
{
    private const int ReadPiece = 4 * 1024 * 1024;
    private static readonly TimeSpan Expiry = TimeSpan.FromDays(1);

    // Appends ARGV[2] when the value is ARGV[1] bytes long; answers the new length, or -1 - length on a mismatch.
    private const string AppendScript = """
        local length = redis.call('STRLEN', KEYS[1])
        local offset = tonumber(ARGV[1])
        local piece = string.len(ARGV[2])
        if length == offset + piece and piece > 0 then return length end
        if length ~= offset then return -1 - length end
        local result = redis.call('APPEND', KEYS[1], ARGV[2])
        redis.call('EXPIRE', KEYS[1], ARGV[3])
        return result
        """;

    public async Task AppendAsync(string key, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var database = (await connect()).GetDatabase();
        var result = (long)await database.ScriptEvaluateAsync(AppendScript, [Key(key)], [offset, data.ToArray(), (long)Expiry.TotalSeconds]);
        if (result < 0)
        {
            throw new InvalidDataException($"Upload {key} has {-1 - result} bytes; a piece for offset {offset} does not follow them.");
        }
    }

    public async Task<byte[]?> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        var database = (await connect()).GetDatabase();
        var redisKey = Key(key);
        var length = await database.StringLengthAsync(redisKey);
        if (length == 0 && !await database.KeyExistsAsync(redisKey))
        {
            return null;
        }

        var buffer = new byte[length];
        for (long offset = 0; offset < length; offset += ReadPiece)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var piece = (byte[]?)await database.StringGetRangeAsync(redisKey, offset, Math.Min(length, offset + ReadPiece) - 1) ?? [];
            piece.CopyTo(buffer, offset);
        }

        return buffer;
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var database = (await connect()).GetDatabase();
        await database.KeyDeleteAsync(Key(key));
    }

    private RedisKey Key(string key) => $"{keyPrefix}:source:{key}";
}
