using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrleansRag.Query.QueryLog;
using OrleansRag.Tests.Production;
using StackExchange.Redis;

namespace OrleansRag.Tests.Storage;

/// <summary>
/// Both query-log stores against one contract: the embedded default's memory and real Redis (started by ./test.sh).
/// Entries page newest first with filters, feedback replaces feedback, nothing outlives the retention, and the bound
/// drops the oldest first. Time is a fake clock, so retention needs no waiting (Redis' own expiry is checked apart).
/// </summary>
public sealed class QueryLogStoreTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 9, 0, 0, TimeSpan.Zero));
    private readonly string _prefix = "test-qlog-" + Guid.NewGuid().ToString("N")[..8];
    private ConnectionMultiplexer? _redis;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    private async Task<IQueryLog> StoreAsync(string kind, QueryLogOptions options)
    {
        if (kind == "memory")
        {
            return new MemoryQueryLog(Options.Create(options), _time);
        }

        _redis ??= await ConnectionMultiplexer.ConnectAsync(ProductionServers.Redis);
        return new RedisQueryLog(() => Task.FromResult<IConnectionMultiplexer>(_redis), _prefix, Options.Create(options), _time);
    }

    private QueryLogEntry Entry(string question, bool noAnswer = false)
    {
        _time.Advance(TimeSpan.FromMilliseconds(5));
        var now = _time.GetUtcNow();
        return new QueryLogEntry(QueryLogIds.New(now), now, question, null, SearchMode.Hybrid, 5, $"Answer to {question} [1].",
            noAnswer ? [] : [new QueryLogCitation(1, "doc-" + question, 0, 0.5f)], new AskTimings(1, 2, 3, 6), false, noAnswer, false, false, "key-1");
    }

    public static TheoryData<string> Kinds => new() { "memory", "redis" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Entries_page_newest_first_with_filters_and_feedback(string kind)
    {
        var log = await StoreAsync(kind, new QueryLogOptions());
        var entries = Enumerable.Range(0, 7).Select(i => Entry($"q{i}", noAnswer: i % 3 == 0)).ToList();
        foreach (var entry in entries)
        {
            await log.AppendAsync("t/c", entry, CancellationToken.None);
        }

        await log.AppendAsync("t/other", Entry("elsewhere"), CancellationToken.None);

        var (first, next) = await log.ReadAsync("t/c", new QueryLogQuery(Limit: 3), CancellationToken.None);
        Assert.Equal(["q6", "q5", "q4"], first.Select(e => e.Question));
        var (second, next2) = await log.ReadAsync("t/c", new QueryLogQuery(next, 3), CancellationToken.None);
        Assert.Equal(["q3", "q2", "q1"], second.Select(e => e.Question));
        var (last, end) = await log.ReadAsync("t/c", new QueryLogQuery(next2, 3), CancellationToken.None);
        Assert.Equal(["q0"], last.Select(e => e.Question));
        Assert.Null(end);
        Assert.Equal(entries[2].Citations, second[1].Citations);
        Assert.Equal(entries[2].Timings, second[1].Timings);

        var (noAnswers, _) = await log.ReadAsync("t/c", new QueryLogQuery(NoAnswer: true), CancellationToken.None);
        Assert.Equal(["q6", "q3", "q0"], noAnswers.Select(e => e.Question));

        var feedback = new AnswerFeedback(AnswerRating.Down, "wrong", _time.GetUtcNow(), "key-2");
        Assert.Equal((true, null), await log.RateAsync("t/c", entries[4].AnswerId, feedback, CancellationToken.None));
        Assert.Equal((true, AnswerRating.Down), await log.RateAsync("t/c", entries[4].AnswerId, feedback with { Rating = AnswerRating.Up, Comment = null }, CancellationToken.None));
        Assert.False((await log.RateAsync("t/other", entries[4].AnswerId, feedback, CancellationToken.None)).Found);
        Assert.False((await log.RateAsync("t/c", QueryLogIds.New(_time.GetUtcNow()), feedback, CancellationToken.None)).Found);
        var (rated, _) = await log.ReadAsync("t/c", new QueryLogQuery(Rating: AnswerRating.Up), CancellationToken.None);
        Assert.Equal("q4", Assert.Single(rated).Question);
        Assert.Equal(AnswerRating.Up, rated[0].Feedback!.Rating);
        Assert.Null(rated[0].Feedback!.Comment);
        Assert.Empty((await log.ReadAsync("t/c", new QueryLogQuery(Rating: AnswerRating.Down), CancellationToken.None)).Entries);

        await log.ClearAsync("t/c", CancellationToken.None);
        Assert.Empty((await log.ReadAsync("t/c", new QueryLogQuery(), CancellationToken.None)).Entries);
        Assert.Single((await log.ReadAsync("t/other", new QueryLogQuery(), CancellationToken.None)).Entries);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Nothing_outlives_the_retention_and_the_bound_drops_the_oldest(string kind)
    {
        var log = await StoreAsync(kind, new QueryLogOptions { Retention = TimeSpan.FromHours(1), MaxEntries = 100 });
        var old = Entry("old");
        await log.AppendAsync("t/c", old, CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(61));
        var recent = Entry("recent");
        await log.AppendAsync("t/c", recent, CancellationToken.None);
        Assert.Equal(["recent"], (await log.ReadAsync("t/c", new QueryLogQuery(), CancellationToken.None)).Entries.Select(e => e.Question));
        Assert.False((await log.RateAsync("t/c", old.AnswerId, new AnswerFeedback(AnswerRating.Up, null, _time.GetUtcNow()), CancellationToken.None)).Found);

        for (var i = 0; i < 120; i++)
        {
            await log.AppendAsync("t/c", Entry($"n{i}"), CancellationToken.None);
        }

        var kept = new List<QueryLogEntry>();
        string? cursor = null;
        do
        {
            var (page, next) = await log.ReadAsync("t/c", new QueryLogQuery(cursor, 50), CancellationToken.None);
            kept.AddRange(page);
            cursor = next;
        }
        while (cursor is not null);

        Assert.Equal(100, kept.Count);
        Assert.Equal("n119", kept[0].Question);
        Assert.Equal("n20", kept[^1].Question);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Collections_whose_names_hold_colons_keep_apart(string kind)
    {
        var log = await StoreAsync(kind, new QueryLogOptions());
        var plain = Entry("plain");
        await log.AppendAsync("t/docs", plain, CancellationToken.None);
        var tricky = Entry("tricky");
        await log.AppendAsync($"t/docs:e:{plain.AnswerId}", tricky, CancellationToken.None);
        await log.AppendAsync("t/docs:ids", Entry("other"), CancellationToken.None);
        Assert.Equal(["plain"], (await log.ReadAsync("t/docs", new QueryLogQuery(), CancellationToken.None)).Entries.Select(e => e.Question));
        Assert.Equal(["tricky"], (await log.ReadAsync($"t/docs:e:{plain.AnswerId}", new QueryLogQuery(), CancellationToken.None)).Entries.Select(e => e.Question));
    }

    [Fact]
    public async Task Redis_expires_entries_and_their_feedback_with_the_retention()
    {
        var log = (RedisQueryLog)await StoreAsync("redis", new QueryLogOptions { Retention = TimeSpan.FromMinutes(10) });
        var entry = Entry("expiring");
        await log.AppendAsync("t/c", entry, CancellationToken.None);
        Assert.True((await log.RateAsync("t/c", entry.AnswerId, new AnswerFeedback(AnswerRating.Up, null, _time.GetUtcNow()), CancellationToken.None)).Found);
        var database = _redis!.GetDatabase();
        var key = $"{_prefix}:qlog:{{t/c}}";
        foreach (var stored in new[] { $"{key}:e:{entry.AnswerId}", $"{key}:f:{entry.AnswerId}", $"{key}:ids" })
        {
            var ttl = await database.KeyTimeToLiveAsync(stored);
            Assert.True(ttl is { } left && left > TimeSpan.FromMinutes(9) && left <= TimeSpan.FromMinutes(10), $"{stored}: {ttl}");
        }
    }
}
