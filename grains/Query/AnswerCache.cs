using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace OrleansRag.Query;

/// <summary>
/// Per-silo answer cache. Keys include the tenant, collection and its content version, so an answer never
/// outlives the content it was computed from; identical questions in flight at the same time share one
/// computation.
/// </summary>
public sealed class AnswerCache : IDisposable
{
    private readonly MemoryCache? _cache;
    private readonly TimeSpan _ttl;
    private readonly ConcurrentDictionary<string, Lazy<Task<AskResponse>>> _inFlight = new(StringComparer.Ordinal);

    public AnswerCache(IOptions<QueryOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _ttl = options.Value.AnswerCacheTtl;
        if (options.Value.AnswerCacheEntries > 0)
        {
            _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = options.Value.AnswerCacheEntries });
        }
    }

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    private long _hits;
    private long _misses;

    public static string Key(string collectionKey, long version, string question, SearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return $"{collectionKey}\u001f{version}\u001f{options.TopK}\u001f{options.Mode}\u001f{options.RrfK}\u001f{options.Filter?.Canonical()}\u001f{Normalize(question)}";
    }

    /// <summary>Returns the cached answer (marked Cached) or computes it once for all concurrent callers.</summary>
    public async Task<AskResponse> GetOrComputeAsync(string key, Func<Task<AskResponse>> compute)
    {
        ArgumentNullException.ThrowIfNull(compute);
        if (_cache is null)
        {
            return await compute();
        }

        if (_cache.TryGetValue(key, out AskResponse? cached) && cached is not null)
        {
            Interlocked.Increment(ref _hits);
            Monitoring.RagInstruments.CacheLookup(hit: true);
            return cached with { Cached = true };
        }

        Interlocked.Increment(ref _misses);
        Monitoring.RagInstruments.CacheLookup(hit: false);
        var lazy = _inFlight.GetOrAdd(key, _ => new Lazy<Task<AskResponse>>(compute));
        try
        {
            var response = await lazy.Value;
            if (!response.Degraded)
            {
                // A degraded (fallback) answer is not kept: once the model recovers, the question gets a real answer.
                _cache.Set(key, response, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = _ttl });
            }

            return response;
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<string, Lazy<Task<AskResponse>>>(key, lazy));
        }
    }

    public void Dispose() => _cache?.Dispose();

    private static string Normalize(string question) =>
        string.Join(' ', question.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();
}
