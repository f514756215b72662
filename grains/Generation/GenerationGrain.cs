using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace OrleansRag.Generation;

/// <summary>Extractive answer generation: embeds the candidate sentences of the sources and quotes the best.</summary>
[StatelessWorker]
[Reentrant]
public sealed class GenerationGrain(IOptions<GenerationOptions> options) : Grain, IGenerationGrain
{
    private readonly ExtractiveGenerator _generator = new(options.Value.MaxSentences, options.Value.MinScore);

    public async Task<GeneratedAnswer> GenerateAsync(string question, float[] questionVector, SearchHit[] sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var candidates = ExtractiveGenerator.Candidates(sources);
        if (candidates.Count == 0)
        {
            return new GeneratedAnswer(ExtractiveGenerator.NoAnswer, []);
        }

        var embedded = await GrainFactory.GetGrain<IEmbeddingGrain>(0)
            .EmbedAsync([.. candidates.Select(c => c.Text)], EmbeddingKind.Document);
        return _generator.Generate(question, questionVector, candidates, embedded.Vectors);
    }
}
