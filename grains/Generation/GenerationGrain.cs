using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace OrleansRag.Generation;

/// <summary>
/// Turns retrieved chunks into an answer: through the configured language model, or extractively (quoting the
/// best-supported sentences). While the model fails or its circuit is open, the extractive generator answers
/// and the answer is marked degraded with the reason.
/// </summary>
[StatelessWorker]
[Reentrant]
public sealed class GenerationGrain(IOptions<GenerationOptions> options, IServiceProvider services) : Grain, IGenerationGrain
{
    private readonly ExtractiveGenerator _extractive = new(options.Value.MaxSentences, options.Value.MinScore);

    public async Task<GeneratedAnswer> GenerateAsync(string question, float[] questionVector, SearchHit[] sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        using var activity = RagTelemetry.ActivitySource.StartActivity("generate");
        activity?.SetTag("orleansrag.generation.provider", options.Value.Provider);
        activity?.SetTag("orleansrag.generation.sources", sources.Length);
        if (options.Value.UsesLanguageModel && sources.Length > 0)
        {
            var model = services.GetRequiredService<LanguageModelGenerator>();
            try
            {
                return await model.GenerateAsync(question, sources);
            }
            catch (LanguageModelUnavailableException exception)
            {
                model.RecordFallback(exception.Message);
                activity?.SetTag("orleansrag.generation.degraded", true);
                return await ExtractAsync(question, questionVector, sources) with { Degraded = true, DegradedReason = exception.Message };
            }
        }

        return await ExtractAsync(question, questionVector, sources);
    }

    public async Task<GeneratedAnswer> ExtractAsync(string question, float[] questionVector, SearchHit[] sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var candidates = ExtractiveGenerator.Candidates(sources);
        if (candidates.Count == 0)
        {
            return new GeneratedAnswer(ExtractiveGenerator.NoAnswer, []);
        }

        var embedded = await GrainFactory.GetGrain<IEmbeddingGrain>(0)
            .EmbedAsync([.. candidates.Select(c => c.Text)], EmbeddingKind.Document);
        return _extractive.Generate(question, questionVector, candidates, embedded.Vectors);
    }
}
