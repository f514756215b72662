using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace OrleansRag.Query.QueryLog;

/// <summary>
/// The query log in Redis (production mode), shared by every silo. Per collection, a sorted set of answer ids
/// (<c>{prefix}:qlog:{tenant/collection}:ids</c>, all scores 0, so it sorts by id, which is by time) and one string per
/// entry (<c>…:e:{id}</c>, its JSON) and per rating (<c>…:f:{id}</c>), each expiring with the retention. An append trims
/// the set of ids older than the retention and beyond <see cref="QueryLogOptions.MaxEntries"/>, in the same script.
/// </summary>
public sealed class RedisQueryLog(Func<Task<IConnectionMultiplexer>> connect, string keyPrefix, IOptions<QueryLogOptions> options, TimeProvider time) : IQueryLog
{
    // KEYS: the id set, the entry. ARGV: id, JSON, retention ms, the retention floor id, the entry bound, the keys' base
    // (entries and ratings of trimmed ids are "{base}:e:{id}" and "{base}:f:{id}", in the set's slot).
    private const string AppendScript = """
        redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
        redis.call('ZADD', KEYS[1], 0, ARGV[1])
        redis.call('ZREMRANGEBYLEX', KEYS[1], '-', '(' .. ARGV[4])
        local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[5])
        if over > 0 then
          for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, over - 1)) do
            redis.call('DEL', ARGV[6] .. ':e:' .. id, ARGV[6] .. ':f:' .. id)
          end
          redis.call('ZREMRANGEBYRANK', KEYS[1], 0, over - 1)
        end
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return 1
        """;

    // KEYS: the entry, its feedback, the id set. ARGV: the feedback's JSON, the id. Only an entry still in the set (not
    // trimmed) is rated; the feedback lives as long as its entry.
    private const string RateScript = """
        if not redis.call('ZSCORE', KEYS[3], ARGV[2]) then return 0 end
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl <= 0 then return 0 end
        local old = redis.call('GET', KEYS[2])
        redis.call('SET', KEYS[2], ARGV[1], 'PX', ttl)
        if old then return {1, old} end
        return {1}
        """;

    private const int ScanBatch = 100;
    private const int MaxScannedPerRead = 5_000;

    public async Task AppendAsync(string collectionKey, QueryLogEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var value = options.Value;
        var database = (await connect()).GetDatabase();
        await database.ScriptEvaluateAsync(AppendScript, [SetKey(collectionKey), EntryKey(collectionKey, entry.AnswerId)],
            [entry.AnswerId, JsonSerializer.Serialize(entry with { Feedback = null }, QueryLogIds.Json), (long)value.Retention.TotalMilliseconds,
             QueryLogIds.Floor(time.GetUtcNow() - value.Retention), value.MaxEntries, Base(collectionKey)]).WaitAsync(cancellationToken);
    }

    public async Task<(bool Found, AnswerRating? Previous)> RateAsync(string collectionKey, string answerId, AnswerFeedback feedback, CancellationToken cancellationToken)
    {
        var database = (await connect()).GetDatabase();
        var result = await database.ScriptEvaluateAsync(RateScript, [EntryKey(collectionKey, answerId), FeedbackKey(collectionKey, answerId), SetKey(collectionKey)],
            [JsonSerializer.Serialize(feedback, QueryLogIds.Json), answerId]).WaitAsync(cancellationToken);
        if (result.Resp2Type != ResultType.Array)
        {
            return (false, null);
        }

        var parts = (RedisResult[])result!;
        return (true, parts.Length > 1 ? JsonSerializer.Deserialize<AnswerFeedback>((string)parts[1]!, QueryLogIds.Json)?.Rating : null);
    }

    public async Task<(IReadOnlyList<QueryLogEntry> Entries, string? Next)> ReadAsync(string collectionKey, QueryLogQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var database = (await connect()).GetDatabase();
        var set = SetKey(collectionKey);
        var floor = QueryLogIds.Floor(time.GetUtcNow() - options.Value.Retention);
        var page = new List<QueryLogEntry>();
        var cursor = query.Before;
        var scanned = 0;

        // Newest first, a batch at a time, until the page is full (filters may skip entries); a filter that matches
        // little stops after MaxScannedPerRead entries with a cursor where it stopped.
        while (scanned < MaxScannedPerRead)
        {
            var ids = await database.SortedSetRangeByValueAsync(set, floor, cursor is null ? default : (RedisValue)cursor, Exclude.Both, Order.Descending, 0, ScanBatch)
                .WaitAsync(cancellationToken);
            if (ids.Length == 0)
            {
                return (page, null);
            }

            var keys = ids.SelectMany(id => new[] { EntryKey(collectionKey, id!), FeedbackKey(collectionKey, id!) }).ToArray();
            var values = await database.StringGetAsync(keys).WaitAsync(cancellationToken);
            for (var i = 0; i < ids.Length; i++)
            {
                cursor = ids[i]!;
                scanned++;
                if (values[2 * i].IsNullOrEmpty)
                {
                    continue; // expired between the range and the read
                }

                var entry = JsonSerializer.Deserialize<QueryLogEntry>((string)values[2 * i]!, QueryLogIds.Json)!;
                if (!values[(2 * i) + 1].IsNullOrEmpty)
                {
                    entry = entry with { Feedback = JsonSerializer.Deserialize<AnswerFeedback>((string)values[(2 * i) + 1]!, QueryLogIds.Json) };
                }

                if (QueryLogIds.Matches(entry, query))
                {
                    if (page.Count == query.Limit)
                    {
                        return (page, page[^1].AnswerId);
                    }

                    page.Add(entry);
                }
            }

            if (ids.Length < ScanBatch)
            {
                return (page, null);
            }
        }

        return (page, cursor);
    }

    public async Task ClearAsync(string collectionKey, CancellationToken cancellationToken)
    {
        var database = (await connect()).GetDatabase();
        var set = SetKey(collectionKey);
        var ids = await database.SortedSetRangeByRankAsync(set).WaitAsync(cancellationToken);
        foreach (var batch in ids.Chunk(500))
        {
            await database.KeyDeleteAsync([.. batch.SelectMany(id => new[] { EntryKey(collectionKey, id!), FeedbackKey(collectionKey, id!) })]).WaitAsync(cancellationToken);
        }

        await database.KeyDeleteAsync(set).WaitAsync(cancellationToken);
    }

    // Every key of a collection's log shares the hash tag {tenant/collection} (one slot on a Redis Cluster), and the three
    // kinds end differently (":ids", ":e:{id}", ":f:{id}"), so no collection name, ':' included, makes one key another's.
    private RedisKey SetKey(string collectionKey) => $"{Base(collectionKey)}:ids";

    private RedisKey EntryKey(string collectionKey, string id) => $"{Base(collectionKey)}:e:{id}";

    private RedisKey FeedbackKey(string collectionKey, string id) => $"{Base(collectionKey)}:f:{id}";

    private string Base(string collectionKey) => $"{keyPrefix}:qlog:{{{collectionKey}}}";
}
