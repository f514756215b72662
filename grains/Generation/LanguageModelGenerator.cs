using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenAI;
using OrleansRag.Embedding;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace OrleansRag.Generation;

/// <summary>
/// Answers through a language model behind <see cref="IChatClient"/> (an OpenAI-compatible endpoint), inside
/// a Polly pipeline: a timeout per attempt, retries with exponential backoff and jitter on 429/5xx/timeouts
/// that honour Retry-After, and a circuit breaker. One per silo, so the circuit's state is the silo's view of
/// the endpoint. Failures surface as <see cref="LanguageModelUnavailableException"/>; the caller falls back.
/// </summary>
public sealed partial class LanguageModelGenerator : IDisposable
{

    private readonly IChatClient _chat;
    private readonly GenerationOptions _options;
    private readonly ResiliencePipeline _pipeline;
    private readonly EmbeddingService _embeddings;
    private readonly ILogger<LanguageModelGenerator> _logger;
    private readonly Counter<long> _calls;
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _droppedMarkers;

    public LanguageModelGenerator(IOptions<GenerationOptions> options, EmbeddingService embeddings, Monitoring.RagInstruments instruments, ILogger<LanguageModelGenerator> logger, IChatClient? chat = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _embeddings = embeddings;
        _logger = logger;
        _chat = chat ?? CreateOpenAiClient(_options);
        _pipeline = BuildPipeline(_options);
        ArgumentNullException.ThrowIfNull(instruments);
        var meter = instruments.Meter;
        _calls = meter.CreateCounter<long>("orleansrag.generation.calls", "{call}", "Language-model generation calls.");
        _fallbacks = meter.CreateCounter<long>("orleansrag.generation.fallbacks", "{answer}", "Answers produced by the extractive fallback because the language model failed.");
        _droppedMarkers = meter.CreateCounter<long>("orleansrag.generation.dropped_citations", "{marker}", "Citation markers of model answers that pointed to no source.");
    }

    public long Fallbacks => Interlocked.Read(ref _fallbackCount);

    private long _fallbackCount;

    /// <summary>State of the circuit breaker, for tests and health reporting.</summary>
    public CircuitState Circuit => _circuit?.CircuitState ?? CircuitState.Closed;

    private CircuitBreakerStateProvider? _circuit;

    public async Task<GeneratedAnswer> GenerateAsync(string question, SearchHit[] sources, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var model = await _embeddings.GetModelAsync();
        var (messages, numbered) = new PromptBuilder(text => model.Tokenizer.CountTokens(text), _options.PromptTokenBudget).Build(question, sources);
        var chatOptions = new ChatOptions { Temperature = (float)_options.Temperature, MaxOutputTokens = _options.MaxOutputTokens, ModelId = _options.Model };
        _calls.Add(1);
        ChatResponse response;
        try
        {
            response = await _pipeline.ExecuteAsync(
                async token => await _chat.GetResponseAsync(messages, chatOptions, token),
                cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new LanguageModelUnavailableException(Describe(exception), exception);
        }

        var (answer, dropped) = CitationMapper.Map(response.Text, numbered);
        if (dropped > 0)
        {
            _droppedMarkers.Add(dropped);
        }

        return answer;
    }

    /// <summary>
    /// The model's reply to <paramref name="messages"/> (a task other than answering, e.g. condensing a follow-up),
    /// through the same resilience pipeline and circuit; failures throw <see cref="LanguageModelUnavailableException"/>.
    /// </summary>
    public async Task<string> CompleteAsync(IReadOnlyList<ChatMessage> messages, int maxOutputTokens, CancellationToken cancellationToken = default)
    {
        var chatOptions = new ChatOptions { Temperature = 0, MaxOutputTokens = maxOutputTokens, ModelId = _options.Model };
        _calls.Add(1);
        try
        {
            var response = await _pipeline.ExecuteAsync(async token => await _chat.GetResponseAsync(messages, chatOptions, token), cancellationToken);
            return response.Text;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new LanguageModelUnavailableException(Describe(exception), exception);
        }
    }

    /// <summary>
    /// Streams the model's answer: Token events as they arrive, then Done with the answer whose markers keep
    /// the prompt's numbers (stray ones dropped) and its citations. Opening the stream (up to the first token)
    /// goes through the resilience pipeline and throws <see cref="LanguageModelUnavailableException"/> when it
    /// fails, so the caller can fall back; a stream that breaks later ends with an Error event.
    /// </summary>
    public async IAsyncEnumerable<AskStreamEvent> StreamAsync(string question, SearchHit[] sources, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var model = await _embeddings.GetModelAsync();
        var (messages, numbered) = new PromptBuilder(text => model.Tokenizer.CountTokens(text), _options.PromptTokenBudget).Build(question, sources);
        var chatOptions = new ChatOptions { Temperature = (float)_options.Temperature, MaxOutputTokens = _options.MaxOutputTokens, ModelId = _options.Model };
        _calls.Add(1);

        IAsyncEnumerator<ChatResponseUpdate>? stream = null;
        try
        {
            stream = await _pipeline.ExecuteAsync(async token =>
            {
                var candidate = _chat.GetStreamingResponseAsync(messages, chatOptions, cancellationToken).GetAsyncEnumerator(cancellationToken);
                try
                {
                    // The first update proves the endpoint answered; the attempt's timeout covers it.
                    if (!await candidate.MoveNextAsync().AsTask().WaitAsync(token))
                    {
                        throw new TimeoutRejectedException("The language model closed the stream before answering.");
                    }

                    return candidate;
                }
                catch
                {
                    await candidate.DisposeAsync();
                    throw;
                }
            }, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new LanguageModelUnavailableException(Describe(exception), exception);
        }

        await using (stream)
        {
            var text = new StringBuilder();
            var more = true;
            while (more)
            {
                var piece = stream.Current.Text;
                if (!string.IsNullOrEmpty(piece))
                {
                    text.Append(piece);
                    yield return new AskStreamEvent(AskStreamEventKind.Token, piece);
                }

                string? failure = null;
                try
                {
                    more = await stream.MoveNextAsync().AsTask().WaitAsync(_options.RequestTimeout, cancellationToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    failure = exception is TimeoutException ? "the language model stopped sending in the middle of the answer" : "the language model stream broke: " + Describe(exception);
                }

                if (failure is not null)
                {
                    LogStreamBroken(failure);
                    yield return new AskStreamEvent(AskStreamEventKind.Error, Error: failure);
                    yield break;
                }
            }

            var (answer, dropped) = CitationMapper.Map(text.ToString(), numbered, renumber: false);
            if (dropped > 0)
            {
                _droppedMarkers.Add(dropped);
            }

            yield return new AskStreamEvent(AskStreamEventKind.Done, Response: new AskResponse("", question, answer.Answer, answer.Citations, new AskTimings(0, 0, 0, 0)));
        }
    }

    /// <summary>Counts an answer served by the fallback.</summary>
    public void RecordFallback(string reason)
    {
        Interlocked.Increment(ref _fallbackCount);
        _fallbacks.Add(1, new KeyValuePair<string, object?>("reason", reason));
        LogFallback(reason);
    }

    public void Dispose()
    {
        _chat.Dispose();
    }

    private static IChatClient CreateOpenAiClient(GenerationOptions options)
    {
        var key = string.IsNullOrEmpty(options.ApiKey) ? "unused" : options.ApiKey;
        if (options.Provider == "AzureOpenAI")
        {
            var azureOptions = new Azure.AI.OpenAI.AzureOpenAIClientOptions
            {
                RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
                NetworkTimeout = options.RequestTimeout + TimeSpan.FromSeconds(1),
            };
            return new Azure.AI.OpenAI.AzureOpenAIClient(new Uri(options.Endpoint!), new ApiKeyCredential(key), azureOptions)
                .GetChatClient(options.Model!).AsIChatClient();
        }

        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = new Uri(options.Endpoint!),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0), // retries are the pipeline's, which honours Retry-After
            NetworkTimeout = options.RequestTimeout + TimeSpan.FromSeconds(1),
        };
        return new OpenAIClient(new ApiKeyCredential(key), clientOptions).GetChatClient(options.Model!).AsIChatClient();
    }

    private ResiliencePipeline BuildPipeline(GenerationOptions options)
    {
        _circuit = new CircuitBreakerStateProvider();
        var transient = new PredicateBuilder()
            .Handle<ClientResultException>(e => e.Status is 408 or 429 or >= 500 or 0)
            .Handle<TimeoutRejectedException>()
            .Handle<HttpRequestException>();
        var builder = new ResiliencePipelineBuilder();
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = transient,
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Exception)),
                OnRetry = args =>
                {
                    LogRetry(args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, Describe(args.Outcome.Exception));
                    return ValueTask.CompletedTask;
                },
            });
        }

        return builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = transient,
                FailureRatio = 1.0,
                MinimumThroughput = options.CircuitFailureThreshold,
                SamplingDuration = options.CircuitSamplingDuration,
                BreakDuration = options.CircuitBreakDuration,
                StateProvider = _circuit,
                OnOpened = args =>
                {
                    LogCircuit("opened", args.BreakDuration.TotalSeconds);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    LogCircuit("closed", 0);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(options.RequestTimeout)
            .Build();

        TimeSpan? RetryAfter(Exception? exception)
        {
            if (exception is not ClientResultException { Status: 429 or 503 } result || result.GetRawResponse() is not { } raw
                || !raw.Headers.TryGetValue("Retry-After", out var header) || header is null)
            {
                return null; // exponential backoff with jitter
            }

            var delay = double.TryParse(header, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                ? TimeSpan.FromSeconds(seconds)
                : DateTimeOffset.TryParse(header, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at - DateTimeOffset.UtcNow : (TimeSpan?)null;
            return delay is { } d && d <= options.MaxRetryAfter ? (d < TimeSpan.Zero ? TimeSpan.Zero : d) : options.MaxRetryAfter;
        }
    }

    /// <summary>A reason for logs and the degraded flag, without request details (no keys, no prompts).</summary>
    private static string Describe(Exception? exception) => exception switch
    {
        BrokenCircuitException => "circuit open: the language model failed repeatedly",
        TimeoutRejectedException => "the language model did not answer in time",
        ClientResultException { Status: > 0 } e => $"the language model answered HTTP {e.Status}",
        ClientResultException or HttpRequestException => "the language model could not be reached",
        null => "unknown",
        _ => $"the language model call failed ({exception.GetType().Name})",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Language model retry {Attempt} in {DelayMs:F0} ms: {Reason}")]
    private partial void LogRetry(int attempt, double delayMs, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Language model circuit {State} (break {BreakSeconds:F0} s)")]
    private partial void LogCircuit(string state, double breakSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Streamed answer ended with an error: {Reason}")]
    private partial void LogStreamBroken(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Answered with the extractive fallback: {Reason}")]
    private partial void LogFallback(string reason);
}

/// <summary>The language model could not produce an answer (after retries, or with the circuit open).</summary>
public sealed class LanguageModelUnavailableException(string message, Exception inner) : Exception(message, inner);
