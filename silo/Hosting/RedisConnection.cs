using StackExchange.Redis;

namespace OrleansRag.Silo.Hosting;

/// <summary>
/// The silo's one Redis connection, shared by Orleans' grain storage and the shard store. Connected at start
/// (failing fast with the setting's name); afterwards StackExchange.Redis reconnects by itself when Redis
/// comes back.
/// </summary>
public sealed class RedisConnection(string configuration, TimeSpan connectTimeout) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ConnectionMultiplexer? _multiplexer;

    public bool IsConnected => _multiplexer?.IsConnected ?? false;

    public async Task<IConnectionMultiplexer> GetAsync()
    {
        if (_multiplexer is not null)
        {
            return _multiplexer;
        }

        await _gate.WaitAsync();
        try
        {
            if (_multiplexer is null)
            {
                var options = ConfigurationOptions.Parse(configuration);
                options.AbortOnConnectFail = true; // only the first connect: fail fast at start
                options.ConnectTimeout = (int)connectTimeout.TotalMilliseconds;
                options.ConnectRetry = 1;
                try
                {
                    _multiplexer = await ConnectionMultiplexer.ConnectAsync(options);
                    await _multiplexer.GetDatabase().PingAsync();
                }
                catch (Exception exception) when (exception is RedisException or RedisTimeoutException or ArgumentException)
                {
                    var endpoints = string.Join(", ", options.EndPoints.Select(e => e.ToString()));
                    throw new RagStartupException(
                        $"Cluster:RedisConnectionString: cannot connect to Redis at {endpoints}: {FirstLine(exception.Message)}", exception);
                }
            }

            return _multiplexer;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_multiplexer is not null)
        {
            await _multiplexer.DisposeAsync();
        }

        _gate.Dispose();
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
