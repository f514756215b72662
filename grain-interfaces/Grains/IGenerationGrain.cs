namespace OrleansRag;

/// <summary>Turns retrieved chunks into an answer with numbered citations.</summary>
public interface IGenerationGrain : IGrainWithIntegerKey
{
    Task<GeneratedAnswer> GenerateAsync(string question, float[] questionVector, SearchHit[] sources);

    /// <summary>Streams the answer: Token events, then Done with the answer and citations (no timings), or Error.</summary>
    IAsyncEnumerable<AskStreamEvent> GenerateStreamAsync(string question, float[] questionVector, SearchHit[] sources, CancellationToken cancellationToken = default);
}
