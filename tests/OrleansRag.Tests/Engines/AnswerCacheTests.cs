using Microsoft.Extensions.Options;
using OrleansRag.Query;

namespace OrleansRag.Tests.Engines;

public sealed class AnswerCacheTests
{
    private static AskResponse Response(string answer) => new("c", "q", answer, [], new AskTimings(1, 1, 1, 3));

    [Fact]
    public async Task Identical_concurrent_questions_are_computed_once()
    {
        using var cache = new AnswerCache(Options.Create(new QueryOptions()));
        var computations = 0;
        var release = new TaskCompletionSource();
        async Task<AskResponse> ComputeAsync()
        {
            Interlocked.Increment(ref computations);
            await release.Task;
            return Response("computed");
        }

        var key = AnswerCache.Key("t/c", 1, "What is it?", new SearchOptions(5));
        var callers = Enumerable.Range(0, 20).Select(_ => cache.GetOrComputeAsync(key, ComputeAsync)).ToList();
        await Task.Delay(50);
        release.SetResult();
        var answers = await Task.WhenAll(callers);
        Assert.Equal(1, computations);
        Assert.All(answers, a => Assert.Equal("computed", a.Answer));

        var cached = await cache.GetOrComputeAsync(AnswerCache.Key("t/c", 1, "  what IS   it? ", new SearchOptions(5)), ComputeAsync);
        Assert.True(cached.Cached);
        Assert.Equal(1, computations);
    }

    [Fact]
    public async Task A_new_collection_version_or_another_tenant_misses_the_cache()
    {
        using var cache = new AnswerCache(Options.Create(new QueryOptions()));
        var computations = 0;
        Task<AskResponse> ComputeAsync()
        {
            Interlocked.Increment(ref computations);
            return Task.FromResult(Response("x"));
        }

        await cache.GetOrComputeAsync(AnswerCache.Key("t/c", 1, "q", new SearchOptions(5)), ComputeAsync);
        await cache.GetOrComputeAsync(AnswerCache.Key("t/c", 2, "q", new SearchOptions(5)), ComputeAsync);
        await cache.GetOrComputeAsync(AnswerCache.Key("other/c", 1, "q", new SearchOptions(5)), ComputeAsync);
        await cache.GetOrComputeAsync(AnswerCache.Key("t/c", 1, "q", new SearchOptions(6)), ComputeAsync);
        Assert.Equal(4, computations);
    }

    [Fact]
    public async Task A_failed_computation_is_not_cached()
    {
        using var cache = new AnswerCache(Options.Create(new QueryOptions()));
        var key = AnswerCache.Key("t/c", 1, "q", new SearchOptions(5));
        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetOrComputeAsync(key, () => throw new InvalidOperationException("boom")));
        var answer = await cache.GetOrComputeAsync(key, () => Task.FromResult(Response("ok")));
        Assert.False(answer.Cached);
        Assert.Equal("ok", answer.Answer);
    }
}
