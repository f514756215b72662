using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace OrleansRag.Query;

/// <summary>
/// Per-silo answer cache. A key is derived from what the answer is computed from: the tenant and collection,
/// the question and options, and a hash of the retrieved sources themselves (ids, titles, text, pages). So an
/// answer can never outlive the content it quotes: when a document changes, the question retrieves other text
/// and misses, whether or not any version counter was written. Identical questions in flight at the same time
/// share one computation, which is cancelled only when every caller waiting for it has gone.
/// </summary>
public sealed class AnswerCache : IDisposable
{
    private readonly MemoryCache? _cache;
    private readonly TimeSpan _ttl;
    private readonly Dictionary<string, Flight> _inFlight = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    private readonly Monitoring.RagInstruments _instruments;

    public AnswerCache(IOptions<QueryOptions> options, Monitoring.RagInstruments? instruments = null)
    {
        _instruments = instruments ?? Monitoring.RagInstruments.Standalone();
        ArgumentNullException.ThrowIfNull(options);
        _ttl = options.Value.AnswerCacheTtl;
        if (options.Value.AnswerCacheEntries > 0)
        {
            _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = options.Value.AnswerCacheEntries });
        }
    }

    public bool Enabled => _cache is not null;

    /// <summary>The key of an answer to <paramref name="question"/> from <paramref name="sources"/>.</summary>
    public static string Key(string collectionKey, string question, SearchOptions options, IReadOnlyList<SearchHit> sources)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sources);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var source in sources)
        {
            Append(hash, source.ChunkId);
            Append(hash, source.Title);
            Append(hash, source.Text);
            Append(hash, source.Page?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "");
        }

        return $"{collectionKey}\u001f{options.TopK}\u001f{options.Mode}\u001f{options.RrfK}\u001f{options.Fusion}\u001f{options.DenseWeight ?? SearchOptions.DefaultDenseWeight}\u001f{options.Rerank}\u001f{options.Filter?.Canonical()}\u001f{Normalize(question)}\u001f{Convert.ToHexString(hash.GetHashAndReset())}";
    }

    /// <summary>The cached answer for <paramref name="key"/> (counted as a hit or a miss).</summary>
    public bool TryGet(string key, out AskResponse response)
    {
        response = null!;
        if (_cache is null)
        {
            return false;
        }

        if (_cache.TryGetValue(key, out AskResponse? cached) && cached is not null)
        {
            _instruments.CacheLookup(hit: true);
            response = cached;
            return true;
        }

        _instruments.CacheLookup(hit: false);
        return false;
    }

    /// <summary>Keeps <paramref name="response"/>, unless it is degraded (once the model recovers, the question gets a real answer).</summary>
    public void Set(string key, AskResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (_cache is not null && !response.Degraded)
        {
            _cache.Set(key, response with { Cached = false }, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = _ttl });
        }
    }

    /// <summary>
    /// The cached answer (marked Cached) or one computation shared by all concurrent callers of the same key. The
    /// computation's token is cancelled when every caller waiting for it has cancelled.
    /// </summary>
    public async Task<AskResponse> GetOrComputeAsync(string key, Func<CancellationToken, Task<AskResponse>> compute, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(compute);
        if (_cache is null)
        {
            return await compute(cancellationToken);
        }

        if (TryGet(key, out var cached))
        {
            return cached with { Cached = true };
        }

        Flight flight;
        var start = false;
        lock (_gate)
        {
            if (!_inFlight.TryGetValue(key, out flight!))
            {
                flight = new Flight();
                _inFlight[key] = flight;
                start = true;
            }

            flight.Waiters++;
        }

        if (start)
        {
            _ = RunAsync(key, flight, compute);
        }

        var left = 0;
        void Leave()
        {
            if (Interlocked.Exchange(ref left, 1) != 0)
            {
                return;
            }

            var abandon = false;
            lock (_gate)
            {
                if (--flight.Waiters == 0 && !flight.Result.Task.IsCompleted)
                {
                    abandon = true;
                    if (_inFlight.TryGetValue(key, out var current) && current == flight)
                    {
                        _inFlight.Remove(key);
                    }
                }
            }

            if (abandon)
            {
                flight.Cancel.Cancel();
            }
        }

        using var registration = cancellationToken.Register(Leave);
        try
        {
            return await flight.Result.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            Leave();
        }
    }

    public void Dispose() => _cache?.Dispose();

    private async Task RunAsync(string key, Flight flight, Func<CancellationToken, Task<AskResponse>> compute)
    {
        try
        {
            var response = await compute(flight.Cancel.Token);
            Set(key, response);
            flight.Result.TrySetResult(response);
        }
        catch (OperationCanceledException) when (flight.Cancel.IsCancellationRequested)
        {
            flight.Result.TrySetCanceled(flight.Cancel.Token);
        }
        catch (Exception exception)
        {
            flight.Result.TrySetException(exception);
        }
        finally
        {
            lock (_gate)
            {
                if (_inFlight.TryGetValue(key, out var current) && current == flight)
                {
                    _inFlight.Remove(key);
                }
            }

            // The token source is not disposed: a caller leaving at this moment may still cancel it (it holds no timer).
        }
    }

    private static void Append(IncrementalHash hash, string value)
    {
        hash.AppendData(Encoding.UTF8.GetBytes(value));
        hash.AppendData([0x1f]);
    }

    private static string Normalize(string question) =>
        string.Join(' ', question.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();

    private sealed class Flight
    {
        public TaskCompletionSource<AskResponse> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenSource Cancel { get; } = new();

        public int Waiters { get; set; }
    }
}
