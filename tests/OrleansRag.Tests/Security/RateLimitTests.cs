using System.Net;
using System.Net.Http.Json;
using OrleansRag.Security;

namespace OrleansRag.Tests.Security;

/// <summary>Per-key rate and concurrency limits (per role): 429 with Retry-After, other keys unaffected.</summary>
public sealed class RateLimitTests(RateLimitTests.LimitedHost host) : IClassFixture<RateLimitTests.LimitedHost>
{
    public sealed class LimitedHost : SecuredHostFixture
    {
        protected override IEnumerable<KeyValuePair<string, string?>> LimitSettings() =>
        [
            new("Security:Reader:PermitsPerSecond", "1"),
            new("Security:Reader:Burst", "3"),
            new("Security:Reader:MaxConcurrentRequests", "1"),
            new("Security:Writer:MaxConcurrentRequests", "1"),
        ];
    }

    [Fact]
    public async Task A_reader_over_its_rate_gets_429_with_retry_after_while_other_keys_are_served()
    {
        using var reader = host.ClientFor("alpha", RagRole.Reader);
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 6 && limited is null; i++) // burst of 3, then refused
        {
            var response = await reader.GetAsync("v1/collections/shared/documents");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        using (limited)
        {
            Assert.True(statuses.Count(s => s == HttpStatusCode.OK) >= 2, string.Join(", ", statuses));
            Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {limited.Headers.RetryAfter}");
            var problem = await limited.Content.ReadFromJsonAsync<Dictionary<string, object>>();
            Assert.Equal("Too many requests", problem!["title"].ToString());
            Assert.Contains(host.Keys["alpha"][RagRole.Reader].Id, problem["detail"].ToString(), StringComparison.Ordinal);
        }

        // Other keys (same tenant, other role; the other tenant's writer) are not affected.
        using var writer = host.ClientFor("alpha", RagRole.Writer);
        using (var other = await writer.GetAsync("v1/collections/shared/documents"))
        {
            Assert.True(other.StatusCode == HttpStatusCode.OK, await other.Content.ReadAsStringAsync());
        }

        using var betaWriter = host.ClientFor("beta", RagRole.Writer);
        Assert.Equal(HttpStatusCode.OK, (await betaWriter.GetAsync("v1/collections/shared/documents")).StatusCode);

        // After the advertised wait, the reader is served again.
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("v1/collections/shared/documents")).StatusCode);
    }

    [Fact]
    public async Task A_second_concurrent_request_of_a_key_over_its_concurrency_limit_gets_429()
    {
        // Beta's writer: one request at a time, but a rate (20/s) that the polling below cannot use up, so every
        // 429 here is the concurrency limit's.
        using var writer = host.ClientFor("beta", RagRole.Writer);
        var statuses = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 5 && !statuses.Contains(HttpStatusCode.TooManyRequests); attempt++)
        {
            // The first request holds its permit while its body is still arriving.
            var release = new TaskCompletionSource();
            var started = new TaskCompletionSource();
            using var slow = new HttpRequestMessage(HttpMethod.Post, "v1/collections/shared/search")
            {
                Content = new SlowJsonContent("{\"query\":\"volcano\"}", started, release.Task),
            };
            var first = writer.SendAsync(slow);
            await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

            // Poll until a second request is refused. Should a poll have reached the server before the first request
            // did (possible on a loaded machine), the first is the one refused: then try again.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!first.IsCompleted && !statuses.Contains(HttpStatusCode.TooManyRequests) && DateTime.UtcNow < deadline)
            {
                using var second = await writer.GetAsync("v1/collections/shared/documents");
                statuses.Add(second.StatusCode);
                if (second.StatusCode != HttpStatusCode.TooManyRequests)
                {
                    await Task.Delay(100);
                }
            }

            release.TrySetResult();
            using var firstResponse = await first;
            if (statuses.Contains(HttpStatusCode.TooManyRequests))
            {
                Assert.Equal(HttpStatusCode.OK, firstResponse.StatusCode);
            }
        }

        Assert.True(statuses.Contains(HttpStatusCode.TooManyRequests), string.Join(", ", statuses));
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, s.ToString()));

        // With the permit given back, the writer is served again.
        using var after = await writer.GetAsync("v1/collections/shared/documents");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    /// <summary>A JSON body that signals <paramref name="started"/> once its first byte is out, and sends the rest when <paramref name="release"/> completes.</summary>
    private sealed class SlowJsonContent(string json, TaskCompletionSource started, Task release) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync("{"u8.ToArray());
            await stream.FlushAsync();
            started.TrySetResult();
            await release.WaitAsync(TimeSpan.FromSeconds(60));
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(json[1..]));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
