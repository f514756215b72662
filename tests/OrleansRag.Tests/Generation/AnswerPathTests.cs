using System.Net.Http.Json;
using System.Text.Json;
using OrleansRag.Tests.Http;

namespace OrleansRag.Tests.Generation;

/// <summary>
/// The one answer pipeline over real HTTP with a model behind a fake OpenAI endpoint on loopback: a client that
/// gives up stops the model request (the token reaches it through the grain calls), and streamed asks use and
/// fill the same answer cache as plain asks.
/// </summary>
public sealed class AnswerPathTests : IAsyncLifetime
{
    private FakeOpenAiServer _model = null!;
    private PatientModelHost _host = null!;

    /// <summary>A model timeout far beyond the test's bounds, so only cancellation can end a pending model request.</summary>
    private sealed class PatientModelHost(Uri endpoint) : RagHostFixture
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [
            new("Generation:Provider", "OpenAI"),
            new("Generation:Endpoint", endpoint.ToString()),
            new("Generation:Model", "fake-model"),
            new("Generation:ApiKey", "sk-test"),
            new("Generation:RequestTimeout", "00:10:00"),
            new("Generation:MaxRetries", "0"),
        ];
    }

    public async Task InitializeAsync()
    {
        _model = await FakeOpenAiServer.StartAsync();
        _host = new PatientModelHost(_model.BaseAddress);
        await _host.InitializeAsync();
        await _host.PutAsync("path", "nile", "The Nile is about 6,650 kilometres long and flows into the Mediterranean Sea.", "Nile");
        await _host.PutAsync("path", "everest", "Mount Everest is 8,849 metres high, on the border of Nepal and China.", "Everest");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _model.DisposeAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_abandoned_ask_stops_the_model_request(bool stream)
    {
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _model.Then(async (context, _) =>
        {
            received.TrySetResult();
            try
            {
                await Task.Delay(TimeSpan.FromMinutes(5), context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                aborted.TrySetResult();
            }
        });

        using var client = new CancellationTokenSource();
        var ask = _host.Http.PostAsJsonAsync("v1/collections/path/ask", new { question = $"How long is the Nile? (abandoned, stream {stream})", stream }, client.Token);
        await received.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await client.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ask);

        // The silo drops its request to the model: nothing else would end it within ten minutes.
        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Single(_model.Requests);
    }

    [Fact]
    public async Task A_streamed_answer_fills_the_cache_that_plain_and_streamed_asks_read()
    {
        const string question = "How high is Mount Everest? (cache)";
        _model.Then(FakeOpenAiServer.Stream(["Everest is ", "8,849 m high [1]."]));
        var first = await LanguageModelGenerationTests.AskStreamAsync(_host.Http, "path", question);
        Assert.Equal(["token", "token", "done"], first.Select(e => e.Event));
        Assert.False(first[^1].Data.GetProperty("cached").GetBoolean());
        Assert.Single(_model.Requests);

        using var plain = await _host.Http.PostAsJsonAsync("v1/collections/path/ask", new { question, topK = 2 });
        var body = await plain.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(body.GetProperty("cached").GetBoolean(), body.ToString());
        Assert.Equal("Everest is 8,849 m high [1].", body.GetProperty("answer").GetString());
        Assert.Equal(0, body.GetProperty("timings").GetProperty("generateMs").GetDouble());

        var again = await LanguageModelGenerationTests.AskStreamAsync(_host.Http, "path", question);
        Assert.Equal(["token", "done"], again.Select(e => e.Event));
        Assert.True(again[^1].Data.GetProperty("cached").GetBoolean());
        Assert.Equal("Everest is 8,849 m high [1].", again[0].Data.GetProperty("text").GetString());
        Assert.Single(_model.Requests);
    }
}
