using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansRag.Generation.Rerank;

/// <summary>What a rerank gave: the hits to use, whether they were reranked, and why not when it failed.</summary>
public sealed record class RerankResult(SearchHit[] Hits, bool Reranked, string? DegradedReason);

/// <summary>
/// The rerank stage's rules, for asks and searches alike: whether a request is reranked (the request's own
/// <c>rerank</c>, else its collection's, else <see cref="RerankOptions.Enabled"/>), how many candidates to retrieve for
/// it, and the rerank itself: the configured <see cref="IReranker"/> within <see cref="RerankOptions.Timeout"/>, the best
/// topK kept; on any failure (or no reranker configured) the fused order stands and the reason is given.
/// </summary>
public sealed partial class Reranking(IOptions<RerankOptions> options, IOptions<GenerationOptions> generation, IServiceProvider services, ILogger<Reranking> logger) : IDisposable
{
    private readonly Lock _gate = new();
    private Task<IReranker?>? _loading;

    /// <summary>Whether a request with <paramref name="requested"/> against a collection with <paramref name="collectionDefault"/> is reranked.</summary>
    public bool Wanted(bool? requested, bool? collectionDefault) => requested ?? collectionDefault ?? options.Value.Enabled;

    /// <summary>How many candidates to retrieve for <paramref name="topK"/> results when reranking.</summary>
    public int Candidates(int topK) => Math.Max(topK, options.Value.Candidates);

    /// <summary>The best <paramref name="topK"/> of <paramref name="candidates"/> as the reranker orders them, or in fused order when it cannot.</summary>
    public async Task<RerankResult> RerankAsync(string question, SearchHit[] candidates, int topK, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Length <= 1)
        {
            return new RerankResult([.. candidates.Take(topK)], candidates.Length == 1, null);
        }

        IReranker? reranker;
        try
        {
            reranker = await RerankerAsync().WaitAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogUnavailable(exception);
            return Fused(candidates, topK, $"rerank: the reranker could not be loaded ({exception.Message})");
        }

        if (reranker is null)
        {
            return Fused(candidates, topK, "rerank: no reranker is configured (Rerank:ModelPath for a cross-encoder, or a language model in Generation)");
        }

        using var activity = RagTelemetry.ActivitySource.StartActivity("rerank");
        activity?.SetTag("orleansrag.rerank.kind", reranker.Name);
        activity?.SetTag("orleansrag.rerank.candidates", candidates.Length);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Value.Timeout);
        try
        {
            var order = await reranker.OrderAsync(question, candidates, deadline.Token);
            var kept = order.Take(topK).Select(i => candidates[i]).ToList();

            // The kept hits take their own scores in the reranker's order (the best score to its first, ...): scores
            // stay on the scale the rest of the path expects (an ask's are cosines), and what ranks by score (the
            // prompt's numbering, the extractive answer's weight per source, a search's order) follows the reranker.
            var scores = kept.Select(h => h.Score).OrderDescending().ToList();
            return new RerankResult([.. kept.Select((hit, i) => hit with { Score = scores[i] })], true, null);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            var reason = exception is OperationCanceledException ? $"took longer than {options.Value.Timeout.TotalSeconds:0.#} s (Rerank:Timeout)" : exception.Message;
            LogFailed(reranker.Name, reason);
            activity?.SetStatus(ActivityStatusCode.Error, reason);
            return Fused(candidates, topK, $"rerank: the {reranker.Name} failed, so the fused order stands: {reason}");
        }
    }

    /// <summary>
    /// The reranker, made once on the thread pool (loading an ONNX model takes seconds, and must not hold the query
    /// grain's turn); a load that failed is tried again by the next request rather than remembered.
    /// </summary>
    private Task<IReranker?> RerankerAsync()
    {
        lock (_gate)
        {
            if (_loading is null || _loading.IsFaulted || _loading.IsCanceled)
            {
                _loading = Task.Run(() => Choose(options.Value, generation.Value, services));
            }

            return _loading;
        }
    }

    private static RerankResult Fused(SearchHit[] candidates, int topK, string reason) => new([.. candidates.Take(topK)], false, reason);

    private static IReranker? Choose(RerankOptions options, GenerationOptions generation, IServiceProvider services)
    {
        IReranker LanguageModel() => new LanguageModelReranker(services.GetRequiredService<LanguageModelGenerator>(), options);
        return options.Kind switch
        {
            RerankKind.CrossEncoder => new CrossEncoderReranker(options),
            RerankKind.LanguageModel => generation.UsesLanguageModel ? LanguageModel() : null,
            _ when !string.IsNullOrWhiteSpace(options.ModelPath) => new CrossEncoderReranker(options),
            _ when generation.UsesLanguageModel => LanguageModel(),
            _ => null,
        };
    }

    public void Dispose()
    {
        if (_loading is { IsCompletedSuccessfully: true, Result: IDisposable disposable })
        {
            disposable.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rerank by the {Reranker} failed; the fused order stands: {Reason}")]
    private partial void LogFailed(string reranker, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The reranker could not be loaded")]
    private partial void LogUnavailable(Exception exception);
}
