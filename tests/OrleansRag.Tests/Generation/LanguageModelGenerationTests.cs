using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansRag.Generation;
using OrleansRag.Tests.Http;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Generation;

/// <summary>
/// Answers through an OpenAI-compatible endpoint (the real OpenAI client and Polly pipeline against a fake
/// server on loopback): citations mapped, Retry-After honoured, circuit breaker with extractive fallback and
/// recovery, and the API key kept out of every log line.
/// </summary>
public sealed class LanguageModelGenerationTests : IAsyncLifetime
{
    private const string ApiKey = "sk-test-SECRET-7f3a9c";
    private readonly ConcurrentQueue<string> _logs = new();
    private FakeOpenAiServer _model = null!;
    private ModelHost _host = null!;

    private sealed class ModelHost(Uri endpoint, ILoggerProvider logs) : RagHostFixture
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [
            new("Generation:Provider", "OpenAI"),
            new("Generation:Endpoint", endpoint.ToString()),
            new("Generation:Model", "fake-model"),
            new("Generation:ApiKey", ApiKey),
            new("Generation:RequestTimeout", "00:00:02"),
            new("Generation:MaxRetries", "2"),
            new("Generation:RetryBaseDelay", "00:00:00.050"),
            new("Generation:CircuitFailureThreshold", "3"),
            new("Generation:CircuitBreakDuration", "00:00:02"),
            new("Logging:LogLevel:Default", "Debug"),
        ];

        protected override void Configure(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder) => builder.Logging.AddProvider(logs);
    }

    public async Task InitializeAsync()
    {
        _model = await FakeOpenAiServer.StartAsync();
        _host = new ModelHost(_model.BaseAddress, new CapturingLoggerProvider(_logs));
        await _host.InitializeAsync();
        await _host.PutAsync("llm", "nile", "The Nile is about 6,650 kilometres long and flows into the Mediterranean Sea.", "Nile");
        await _host.PutAsync("llm", "everest", "Mount Everest is 8,849 metres high, on the border of Nepal and China.", "Everest");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _model.DisposeAsync();
    }

    private async Task<JsonElement> AskAsync(string question)
    {
        using var response = await _host.Http.PostAsJsonAsync("v1/collections/llm/ask", new { question, topK = 2 });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, body.ToString());
        return body;
    }

    [Fact]
    public async Task Model_answers_with_markers_mapped_to_citations_and_stray_markers_dropped()
    {
        _model.Then(FakeOpenAiServer.Answer("The Nile is about 6,650 km long [1]. Everest is 8,849 m high [2][7]. Also [9] nothing."));
        var answer = await AskAsync("How long is the Nile?");

        Assert.False(answer.GetProperty("degraded").GetBoolean());
        var text = answer.GetProperty("answer").GetString()!;
        Assert.Equal("The Nile is about 6,650 km long [1]. Everest is 8,849 m high [2]. Also nothing.", text);
        var citations = answer.GetProperty("citations").EnumerateArray().ToList();
        Assert.Equal(["nile", "everest"], citations.Select(c => c.GetProperty("documentId").GetString()));
        Assert.Equal([1, 2], citations.Select(c => c.GetProperty("n").GetInt32()));

        var request = _model.Requests.Last();
        Assert.Equal($"Bearer {ApiKey}", request.Authorization);
        Assert.Contains("[1] Nile", request.Body, StringComparison.Ordinal);
        Assert.Contains("cite it as [n]", request.Body, StringComparison.Ordinal);
        Assert.Contains("fake-model", request.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_429_is_retried_after_its_Retry_After()
    {
        _model.Then(FakeOpenAiServer.Status(429, retryAfter: "1"));
        _model.Then(FakeOpenAiServer.Answer("Everest is 8,849 m high [1]."));
        var before = _model.Requests.Count;
        var answer = await AskAsync("How high is Everest?");

        Assert.False(answer.GetProperty("degraded").GetBoolean());
        Assert.Equal("Everest is 8,849 m high [1].", answer.GetProperty("answer").GetString());
        var attempts = _model.Requests.Skip(before).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.True(attempts[1].At - attempts[0].At >= TimeSpan.FromMilliseconds(900), $"retried after {(attempts[1].At - attempts[0].At).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Circuit_opens_after_failures_answers_degraded_without_calling_the_model_and_closes_after_recovery()
    {
        _model.Default = FakeOpenAiServer.Status(500);
        var first = await AskAsync("How long is the Nile river?");
        Assert.True(first.GetProperty("degraded").GetBoolean());
        Assert.Contains("HTTP 500", first.GetProperty("degradedReason").GetString(), StringComparison.Ordinal);
        Assert.Contains("6,650", first.GetProperty("answer").GetString(), StringComparison.Ordinal); // the extractive fallback answered
        Assert.NotEmpty(first.GetProperty("citations").EnumerateArray());

        var calls = _model.Requests.Count;
        var second = await AskAsync("Where does the Nile flow?");
        Assert.True(second.GetProperty("degraded").GetBoolean());
        Assert.Contains("circuit open", second.GetProperty("degradedReason").GetString(), StringComparison.Ordinal);
        Assert.Equal(calls, _model.Requests.Count); // open circuit: the model was not called at all

        var generator = _host.App.Services.GetRequiredService<LanguageModelGenerator>();
        Assert.True(generator.Fallbacks >= 2);

        // The endpoint recovers; after the break the next question closes the circuit again.
        _model.Default = FakeOpenAiServer.Answer("The Nile flows into the Mediterranean Sea [1].");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonElement recovered;
        var attempt = 0;
        do
        {
            await Task.Delay(500);
            recovered = await AskAsync($"Into which sea does the Nile flow? ({attempt++})");
        }
        while (recovered.GetProperty("degraded").GetBoolean() && DateTime.UtcNow < deadline);

        Assert.False(recovered.GetProperty("degraded").GetBoolean());
        Assert.StartsWith("The Nile flows into the Mediterranean Sea [1].", recovered.GetProperty("answer").GetString(), StringComparison.Ordinal);
        Assert.Equal(Polly.CircuitBreaker.CircuitState.Closed, generator.Circuit);
    }

    [Fact]
    public async Task A_model_that_does_not_answer_in_time_gives_a_degraded_answer()
    {
        _model.Default = FakeOpenAiServer.Delay(TimeSpan.FromSeconds(10), FakeOpenAiServer.Answer("too late [1]"));
        var answer = await AskAsync("How long is the Nile, roughly?");
        Assert.True(answer.GetProperty("degraded").GetBoolean());
        Assert.Contains("did not answer in time", answer.GetProperty("degradedReason").GetString(), StringComparison.Ordinal);
    }

    /// <summary>POSTs an ask with "stream": true and returns the SSE events (name, JSON data) in order.</summary>
    internal static async Task<List<(string Event, JsonElement Data)>> AskStreamAsync(HttpClient http, string collection, string question)
    {
        using var response = await http.PostAsJsonAsync($"v1/collections/{collection}/ask", new { question, topK = 2, stream = true });
        return await ServerSentEvents.ReadAsync(response);
    }

    [Fact]
    public async Task Streaming_sends_tokens_in_order_then_a_final_event_with_citations_and_timings()
    {
        _model.Then(FakeOpenAiServer.Stream(["The Nile ", "is about ", "6,650 km ", "long [1]", ". Stray [8]."]));
        var events = await AskStreamAsync(_host.Http, "llm", "How long is the Nile? (stream)");

        var tokens = events.TakeWhile(e => e.Event == "token").Select(e => e.Data.GetProperty("text").GetString()).ToList();
        Assert.Equal(["The Nile ", "is about ", "6,650 km ", "long [1]", ". Stray [8]."], tokens);
        Assert.Equal(tokens.Count + 1, events.Count);
        var (last, done) = events[^1];
        Assert.Equal("done", last);
        Assert.Equal("The Nile is about 6,650 km long [1]. Stray.", done.GetProperty("answer").GetString());
        Assert.Equal("nile", done.GetProperty("citations")[0].GetProperty("documentId").GetString());
        Assert.Equal(1, done.GetProperty("citations")[0].GetProperty("n").GetInt32());
        Assert.True(done.GetProperty("timings").GetProperty("totalMs").GetDouble() > 0);
        Assert.False(done.GetProperty("degraded").GetBoolean());
    }

    [Fact]
    public async Task A_stream_whose_model_fails_before_the_first_token_falls_back_to_a_degraded_extractive_answer()
    {
        _model.Default = FakeOpenAiServer.Status(500);
        var events = await AskStreamAsync(_host.Http, "llm", "How long is the Nile? (failing stream)");
        Assert.Equal(["token", "done"], events.Select(e => e.Event));
        var done = events[^1].Data;
        Assert.True(done.GetProperty("degraded").GetBoolean());
        Assert.Contains("HTTP 500", done.GetProperty("degradedReason").GetString(), StringComparison.Ordinal);
        Assert.Contains("6,650", done.GetProperty("answer").GetString(), StringComparison.Ordinal);
        Assert.Equal(3, _model.Requests.Count); // first attempt + 2 retries, then the fallback
    }

    [Fact]
    public async Task A_stream_cut_mid_way_ends_with_an_error_event()
    {
        _model.Then(FakeOpenAiServer.Stream(["The Nile ", "is about "], cut: true));
        var events = await AskStreamAsync(_host.Http, "llm", "How long is the Nile? (cut)");
        Assert.Equal(["token", "token", "error"], events.Select(e => e.Event));
        Assert.Contains("stream", events[^1].Data.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_client_sdk_streams_through_an_async_enumerable_grain_method()
    {
        _model.Then(FakeOpenAiServer.Stream(["Everest ", "is 8,849 m ", "high [1]."]));
        var rag = new OrleansRag.Client.RagClient(_host.App.Services.GetRequiredService<IGrainFactory>(), RagConstants.DefaultTenant, apiKey: null);
        var events = new List<AskStreamEvent>();
        await foreach (var item in rag.AskStreamAsync("llm", "How high is Everest? (sdk stream)", new SearchOptions(2)))
        {
            events.Add(item);
        }

        Assert.Equal([AskStreamEventKind.Token, AskStreamEventKind.Token, AskStreamEventKind.Token, AskStreamEventKind.Done], events.Select(e => e.Kind));
        Assert.Equal("Everest is 8,849 m high [1].", events[^1].Response!.Answer);
        Assert.Equal("everest", events[^1].Response!.Citations.Single().DocumentId);
    }

    [Fact]
    public async Task The_api_key_never_appears_in_the_logs()
    {
        _model.Then(FakeOpenAiServer.Status(500));
        _model.Then(FakeOpenAiServer.Status(500));
        _model.Then(FakeOpenAiServer.Answer("Fine [1]."));
        await AskAsync("How high is Mount Everest in metres?");
        Assert.NotEmpty(_logs);
        Assert.Contains(_logs, line => line.Contains("Language model retry", StringComparison.Ordinal));
        Assert.DoesNotContain(_logs, line => line.Contains(ApiKey, StringComparison.Ordinal) || line.Contains("SECRET", StringComparison.Ordinal));
    }
}

/// <summary>Keeps every formatted log line (with exception text) of a host.</summary>
public sealed class CapturingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
