using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Placement;

namespace OrleansRag.Generation;

/// <summary>
/// Streams one answer from the silo that received the request: retrieve (query grain), then the language
/// model's tokens as they arrive, or, without a model or while it fails before the first token, the extractive
/// answer as one token (marked degraded when it stands in for the model). Deactivates when the stream ends.
/// </summary>
[PreferLocalPlacement]
public sealed class AnswerStreamGrain(IOptions<GenerationOptions> generationOptions, IServiceProvider services) : Grain, IAnswerStreamGrain
{
    public async IAsyncEnumerable<AskStreamEvent> AskStreamAsync(string collectionKey, string question, SearchOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var total = Stopwatch.StartNew();
        try
        {
            var sources = await GrainFactory.GetGrain<IQueryGrain>(collectionKey).RetrieveForAnswerAsync(question, options);
            if (sources is null)
            {
                yield return new AskStreamEvent(AskStreamEventKind.Error, Error: $"Collection '{GrainKeys.CollectionName(collectionKey)}' does not exist.");
                yield break;
            }

            var generate = Stopwatch.StartNew();
            AskResponse Final(AskResponse response) => response with
            {
                Collection = sources.Collection,
                Timings = new AskTimings(sources.EmbedMs, sources.RetrieveMs, generate.Elapsed.TotalMilliseconds, total.Elapsed.TotalMilliseconds),
            };

            GeneratedAnswer? answer = null;
            if (generationOptions.Value.UsesLanguageModel && sources.Hits.Length > 0)
            {
                var model = services.GetRequiredService<LanguageModelGenerator>();
                IAsyncEnumerator<AskStreamEvent>? stream = null;
                var opened = false;
                try
                {
                    stream = model.StreamAsync(question, sources.Hits, cancellationToken).GetAsyncEnumerator(cancellationToken);
                    opened = await stream.MoveNextAsync();
                }
                catch (LanguageModelUnavailableException exception)
                {
                    model.RecordFallback(exception.Message);
                    answer = await ExtractiveAsync(question, sources) with { Degraded = true, DegradedReason = exception.Message };
                }

                if (answer is null)
                {
                    await using (stream)
                    {
                        for (var more = opened; more; more = await stream!.MoveNextAsync())
                        {
                            var item = stream!.Current;
                            yield return item.Kind == AskStreamEventKind.Done && item.Response is { } done ? item with { Response = Final(done) } : item;
                        }
                    }

                    yield break;
                }
            }

            answer ??= await ExtractiveAsync(question, sources);
            yield return new AskStreamEvent(AskStreamEventKind.Token, answer.Answer);
            yield return new AskStreamEvent(AskStreamEventKind.Done, Response: Final(new AskResponse(
                sources.Collection, question, answer.Answer, answer.Citations, new AskTimings(0, 0, 0, 0), Degraded: answer.Degraded, DegradedReason: answer.DegradedReason)));
        }
        finally
        {
            DeactivateOnIdle();
        }
    }

    private Task<GeneratedAnswer> ExtractiveAsync(string question, AnswerSources sources) =>
        GrainFactory.GetGrain<IGenerationGrain>(0).ExtractAsync(question, sources.QuestionVector, sources.Hits);
}
