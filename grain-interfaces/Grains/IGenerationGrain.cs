namespace OrleansRag;

/// <summary>Turns retrieved chunks into an answer with numbered citations.</summary>
public interface IGenerationGrain : IGrainWithIntegerKey
{
    Task<GeneratedAnswer> GenerateAsync(string question, float[] questionVector, SearchHit[] sources);
}
