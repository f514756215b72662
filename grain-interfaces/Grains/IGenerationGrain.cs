namespace OrleansRag;

/// <summary>Turns retrieved chunks into an answer with numbered citations.</summary>
public interface IGenerationGrain : IGrainWithIntegerKey
{
    Task<GeneratedAnswer> GenerateAsync(string question, float[] questionVector, SearchHit[] sources);

    /// <summary>The extractive answer only (the offline generator, also the fallback).</summary>
    Task<GeneratedAnswer> ExtractAsync(string question, float[] questionVector, SearchHit[] sources);
}
