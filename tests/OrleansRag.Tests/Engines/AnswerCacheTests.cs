using Microsoft.Extensions.Options;
using OrleansRag.Query;

namespace OrleansRag.Tests.Engines;

[Trait("Category", "Unit")]
public sealed class AnswerCacheTests
{
    private static readonly SearchHit[] Sources = [new("doc", 0, "doc#0", "Doc", "Grains are virtual actors.", 0.8f)];

    private static AskResponse Response(string answer) => new("c", "q", answer, [], new AskTimings(1, 1, 1, 3));

    private static string Key(string collectionKey, string question, SearchOptions options, SearchHit[]? sources = null) =>
        AnswerCache.Key(collectionKey, question, options, sources ?? Sources);

    [Fact]
    public async Task Identical_concurrent_questions_are_computed_once()
    {
        using var cache = new AnswerCache(Options.Create(new QueryOptions()));
        var computations = 0;
        var release = new TaskCompletionSource();
        async Task<AskResponse> ComputeAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref computations);
            await release.Task;
            return Response("computed");
        }

        var key = Key("t/c", "What is it?", new SearchOptions(5));
        var callers = Enumerable.Range(0, 20).Select(_ => cache.GetOrComputeAsync(key, ComputeAsync)).ToList();
        release.SetResult();
        var answers = await Task.WhenAll(callers);
        Assert.Equal(1, computations);
        Assert.All(answers, a => Assert.Equal("computed", a.Answer));

        var cached = await cache.GetOrComputeAsync(Key("t/c", "  what IS   it? ", new SearchOptions(5)), ComputeAsync);
        Assert.True(cached.Cached);
        Assert.Equal(1, computations);
    }

    [Fact]
    public async Task Changed_source_text_another_tenant_or_other_options_miss_the_cache()
    {
        using var cache = new AnswerCache(Options.Create(new QueryOptions()));
        var computations = 0;
        Task<AskResponse> ComputeAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref computations);
            return Task.FromResult(Response("x"));
        }

        SearchHit[] edited = [Sources[0] with { Text = "Grains are virtual actors that never fail." }];
        SearchHit[] retitled = [Sources[0] with { Title = "Other" }];
        await cache.GetOrComputeAsync(Key("t/c", "q", new SearchOptions(5)), ComputeAsync);
        await cache.GetOrComputeAsync(Key("t/c", "q", new SearchOptions(5), edited), ComputeAsync);
        await cache.GetOrComputeAsync(Key("t/c", "q", new SearchOptions(5), retitled), ComputeAsync);
        await cache.GetOrComputeAsync(Key("other/c", "q", new SearchOptions(5)), ComputeAsync);
        await cache.GetOrComputeAsync(Key("t/c", "q", new SearchOptions(6)), ComputeAsync);
        Assert.Equal(5, computations);
        Assert.True((await cache.GetOrComputeAsync(Key("t/c", "q", new SearchOptions(5), edited), ComputeAsync)).Cached);
    }

    [Fact]
    public async Task A_failed_computation_is_not_cached()
    {
        using var cache = new AnswerCache(Options.Create(new QueryOptions()));
        var key = Key("t/c", "q", new SearchOptions(5));
        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetOrComputeAsync(key, _ => throw new InvalidOperationException("boom")));
        var answer = await cache.GetOrComputeAsync(key, _ => Task.FromResult(Response("ok")));
        Assert.False(answer.Cached);
        Assert.Equal("ok", answer.Answer);
    }

    [Fact]
    public async Task A_shared_computation_is_cancelled_only_when_every_caller_has_gone()
    {
        using var cache = new AnswerCache(Options.Create(new QueryOptions()));
        var started = new TaskCompletionSource();
        var observed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<AskResponse> ComputeAsync(CancellationToken cancellationToken)
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                observed.TrySetResult(true);
                throw;
            }

            return Response("never");
        }

        var key = Key("t/c", "q", new SearchOptions(5));
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();
        var a = cache.GetOrComputeAsync(key, ComputeAsync, first.Token);
        var b = cache.GetOrComputeAsync(key, ComputeAsync, second.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await first.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a);
        Assert.False(observed.Task.IsCompleted, "one caller left; the other still waits, so the work goes on");

        await second.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b);
        Assert.True(await observed.Task.WaitAsync(TimeSpan.FromSeconds(30)));

        // The abandoned flight is gone: the next caller computes afresh.
        var answer = await cache.GetOrComputeAsync(key, _ => Task.FromResult(Response("fresh")));
        Assert.Equal("fresh", answer.Answer);
    }
}
