using System.Diagnostics;
using System.Diagnostics.Metrics;
using OrleansRag.Security;

namespace OrleansRag.Monitoring;

/// <summary>
/// OrleansRag's request metrics (meter "OrleansRag", OpenTelemetry semantic-convention style names and units):
/// requests and errors per operation, latency, answer-cache hits and misses, embedding calls and texts. They reach
/// Prometheus through OpenTelemetry and the silo's interval aggregates through <see cref="SiloMetricsCollector"/>.
/// One per host, on the host's one <see cref="Meter"/> (from its <see cref="IMeterFactory"/>), which every OrleansRag
/// instrument of the host uses: two hosts in one process (test clusters) never count each other's requests.
/// </summary>
public sealed class RagInstruments
{
    public const string Requests = "orleansrag.requests";
    public const string RequestDuration = "orleansrag.request.duration";
    public const string CacheRequests = "orleansrag.answer_cache.requests";
    public const string EmbeddingCalls = "orleansrag.embedding.calls";
    public const string EmbeddingTexts = "orleansrag.embedding.texts";
    public const string GenerationCalls = "orleansrag.generation.calls";
    public const string GenerationFallbacks = "orleansrag.generation.fallbacks";
    public const string Answers = "orleansrag.answers";
    public const string AnswerFeedback = "orleansrag.answer.feedback";
    public const string CollectionAnswers = "orleansrag.collection.answers";
    public const string CollectionFeedback = "orleansrag.collection.answer_feedback";

    /// <summary>
    /// The meter of the per-collection instruments: read by the silo's metrics collector (alert rules, the admin's
    /// metrics) and never exported, so that /metrics, which needs no key, names no tenant or collection.
    /// </summary>
    public const string CollectionMeterName = RagTelemetry.Name + ".Collections";

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _cache;
    private readonly Counter<long> _embeddings;
    private readonly Counter<long> _texts;
    private readonly Counter<long> _answers;
    private readonly Counter<long> _feedback;
    private readonly Counter<long> _collectionAnswers;
    private readonly UpDownCounter<long> _collectionFeedback;

    /// <summary>The host's instruments, on the meter its factory makes (and disposes).</summary>
    public RagInstruments(IMeterFactory meters)
        : this(Create(meters, RagTelemetry.Name), Create(meters, CollectionMeterName))
    {
    }

    private RagInstruments(Meter meter, Meter collections)
    {
        Meter = meter;
        CollectionMeter = collections;
        _requests = meter.CreateCounter<long>(Requests, "{request}", "Requests by operation (ingest, search, ask) and outcome (ok, error).");
        // Buckets from 5 ms to 60 s (the advice every exporter follows, /metrics included): the OpenTelemetry default
        // (0, 5, 10, 25 … seconds) would put every request in one bucket.
        _duration = meter.CreateHistogram<double>(
            RequestDuration, "s", "Time to serve a request, by operation.", tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricsChannel.BucketBounds });
        _cache = meter.CreateCounter<long>(CacheRequests, "{request}", "Answer-cache lookups by result (hit, miss).");
        _embeddings = meter.CreateCounter<long>(EmbeddingCalls, "{call}", "Embedding requests.");
        _texts = meter.CreateCounter<long>(EmbeddingTexts, "{text}", "Texts embedded.");
        _answers = meter.CreateCounter<long>(Answers, "{answer}", "Answers by outcome (answered, no_answer: nothing cited).");
        _feedback = meter.CreateCounter<long>(AnswerFeedback, "{rating}", "Ratings of answers by rating (up, down); a changed rating counts once more.");
        _collectionAnswers = collections.CreateCounter<long>(CollectionAnswers, "{answer}", "Answers by collection (tenant/collection) and outcome.");
        _collectionFeedback = collections.CreateUpDownCounter<long>(CollectionFeedback, "{rating}", "Ratings held by collection (tenant/collection) and rating: +1 given, -1 replaced.");
    }

    /// <summary>The host's OrleansRag meter: every exported OrleansRag instrument of the host is made on it.</summary>
    public Meter Meter { get; }

    /// <summary>The host's per-collection meter (<see cref="CollectionMeterName"/>), which nothing exports.</summary>
    public Meter CollectionMeter { get; }

    /// <summary>Instruments of their own, for an engine used outside a host (a test, a benchmark).</summary>
    public static RagInstruments Standalone() => new(new Meter(RagTelemetry.Name), new Meter(CollectionMeterName));

    private static Meter Create(IMeterFactory meters, string name)
    {
        ArgumentNullException.ThrowIfNull(meters);
        return meters.Create(name);
    }

    /// <summary>
    /// Runs one request of <paramref name="operation"/>, recording its count, outcome (ok; error for faults of the
    /// service, the only ones error rates count; rejected for bad input or access; cancelled when the caller gave up)
    /// and duration.
    /// </summary>
    public async Task<T> TrackAsync<T>(string operation, Func<Task<T>> request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = Stopwatch.GetTimestamp();
        var outcome = "error";
        try
        {
            var result = await request();
            outcome = "ok";
            return result;
        }
        catch (Exception exception)
        {
            outcome = Outcome(exception, cancellationToken);
            throw;
        }
        finally
        {
            Record(operation, started, outcome);
        }
    }

    /// <summary>
    /// Passes a streamed answer through, recording it as one request of <paramref name="operation"/> like a plain one:
    /// ok when the answer was delivered (Done); rejected when it ended before any token with an Error event (nothing to
    /// answer from) or threw bad input; error when it broke; cancelled when the caller gave up or stopped reading.
    /// </summary>
    public async IAsyncEnumerable<AskStreamEvent> TrackStreamAsync(string operation, IAsyncEnumerable<AskStreamEvent> events, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var started = Stopwatch.GetTimestamp();
        string? outcome = null;
        var tokens = false;
        var enumerator = events.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                try
                {
                    if (!await enumerator.MoveNextAsync())
                    {
                        break;
                    }
                }
                catch (Exception exception)
                {
                    outcome = Outcome(exception, cancellationToken);
                    throw;
                }

                var item = enumerator.Current;
                tokens |= item.Kind == AskStreamEventKind.Token;
                outcome = item.Kind switch
                {
                    AskStreamEventKind.Done => "ok",
                    AskStreamEventKind.Error => tokens ? "error" : "rejected",
                    _ => outcome,
                };
                yield return item;
            }
        }
        finally
        {
            await enumerator.DisposeAsync();
            Record(operation, started, outcome ?? "cancelled");
        }
    }

    /// <summary>
    /// The outcome of a request that threw: cancelled when the caller gave up (its own token; an internal timeout is
    /// a fault), rejected for bad input or no access (the caller's fault, a 4xx), else error (a fault of the service,
    /// the only kind error rates count).
    /// </summary>
    public static string Outcome(Exception exception, CancellationToken callerToken) => exception switch
    {
        OperationCanceledException when callerToken.IsCancellationRequested => "cancelled",
        RagValidationException or RagAccessDeniedException or DocumentRejectedException or ConversationConflictException or EmbeddingModelMismatchException => "rejected",
        _ => "error",
    };

    /// <summary>Records one request of <paramref name="operation"/> that began at <paramref name="started"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public void Record(string operation, long started, string outcome)
    {
        var operationTag = new KeyValuePair<string, object?>("operation", operation);
        _requests.Add(1, operationTag, new KeyValuePair<string, object?>("outcome", outcome));
        _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, operationTag);
    }

    /// <summary>One answer given in a collection (key tenant/collection): answered, or no answer (nothing cited).</summary>
    public void Answered(string collectionKey, bool noAnswer)
    {
        var outcome = new KeyValuePair<string, object?>("outcome", noAnswer ? "no_answer" : "answered");
        _answers.Add(1, outcome);
        _collectionAnswers.Add(1, new KeyValuePair<string, object?>("collection", collectionKey), outcome);
    }

    /// <summary>
    /// A rating of an answer of a collection (key tenant/collection) that replaced <paramref name="previous"/> (null: the
    /// first); the same rating given again counts nothing, a changed one moves the collection's count from one to the other.
    /// </summary>
    public void Rated(string collectionKey, AnswerRating rating, AnswerRating? previous)
    {
        if (previous == rating)
        {
            return;
        }

        var collection = new KeyValuePair<string, object?>("collection", collectionKey);
        _feedback.Add(1, RatingTag(rating));
        _collectionFeedback.Add(1, collection, RatingTag(rating));
        if (previous is { } replaced)
        {
            _collectionFeedback.Add(-1, collection, RatingTag(replaced));
        }
    }

    private static KeyValuePair<string, object?> RatingTag(AnswerRating rating) => new("rating", rating == AnswerRating.Up ? "up" : "down");

    public void CacheLookup(bool hit) => _cache.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));

    public void Embedded(int texts)
    {
        _embeddings.Add(1);
        _texts.Add(texts);
    }
}
