using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace OrleansRag.Retrieval;

/// <summary>
/// Tells whether durable storage still holds what this silo wrote. Grains ask before a write that builds on
/// state they hold in memory (and before answering "unchanged"), so a storage that lost its data is met with a
/// clear refusal rather than silent loss.
/// </summary>
public interface IStorageGeneration
{
    /// <summary>Why storage is known to be lost; null while it is intact (or not yet checked).</summary>
    string? LostReason { get; }

    /// <summary>Checks storage now; throws <see cref="StorageLostException"/> when it lost what was written.</summary>
    Task EnsureIntactAsync(CancellationToken cancellationToken = default);
}

/// <summary>Memory storage lives and dies with the silo: nothing to lose behind its back.</summary>
public sealed class InMemoryStorageGeneration : IStorageGeneration
{
    public string? LostReason => null;

    public Task EnsureIntactAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
}

/// <summary>
/// A generation marker in Redis (<c>{prefix}:generation</c>, a random id set once with SET NX, no expiry). The
/// first silo of a fresh store creates it; every silo remembers the id it first read. A marker that is missing
/// or different later means Redis restarted without its data (or is another server): from then on this silo
/// refuses writes with <see cref="StorageLostException"/> and reports unhealthy, because what it holds in memory
/// no longer matches storage. Restoring Redis's data does not lift it; restarting the silo does (it then serves
/// what Redis holds). Run Redis with appendonly and a noeviction policy so that the marker, like the data, stays.
/// </summary>
public sealed partial class RedisStorageGeneration(Func<Task<IConnectionMultiplexer>> connect, string keyPrefix, ILogger<RedisStorageGeneration> logger) : IStorageGeneration
{
    private readonly string _key = keyPrefix + ":generation";
    private string? _known;
    private string? _lost;

    public string? LostReason => Volatile.Read(ref _lost);

    public async Task EnsureIntactAsync(CancellationToken cancellationToken = default)
    {
        if (LostReason is { } lost)
        {
            throw new StorageLostException(lost);
        }

        var database = (await connect().ConfigureAwait(false)).GetDatabase();
        var current = (string?)await database.StringGetAsync(_key).WaitAsync(cancellationToken).ConfigureAwait(false);
        var known = Volatile.Read(ref _known);
        if (known is null)
        {
            // First look: adopt the store's generation, creating it in a fresh store. SET NX makes every silo adopt the same one.
            if (current is null)
            {
                await database.StringSetAsync(_key, Guid.NewGuid().ToString("N"), when: When.NotExists).WaitAsync(cancellationToken).ConfigureAwait(false);
                current = (string?)await database.StringGetAsync(_key).WaitAsync(cancellationToken).ConfigureAwait(false)
                    ?? throw new StorageLostException($"Redis did not keep the generation marker {_key}: check its eviction policy (noeviction).");
            }

            known = Interlocked.CompareExchange(ref _known, current, null) ?? current;
        }

        if (!string.Equals(current, known, StringComparison.Ordinal))
        {
            var reason = current is null
                ? $"Redis lost its data: the generation marker {_key} is gone (a restart without persistence?). This silo refuses writes until it is restarted; restore Redis's data first if you have it."
                : $"Redis holds another dataset: the generation marker {_key} changed from {known} to {current}. This silo refuses writes until it is restarted.";
            if (Interlocked.CompareExchange(ref _lost, reason, null) is null)
            {
                LogLost(reason);
            }

            throw new StorageLostException(LostReason!);
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "{Reason}")]
    private partial void LogLost(string reason);
}
