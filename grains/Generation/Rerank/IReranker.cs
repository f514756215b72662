namespace OrleansRag.Generation.Rerank;

/// <summary>Orders retrieved passages by how well they answer a question.</summary>
public interface IReranker
{
    /// <summary>"language model" or "cross-encoder", for responses and logs.</summary>
    string Name { get; }

    /// <summary>The indexes of <paramref name="hits"/>, best first (each once); throws when it cannot tell.</summary>
    Task<int[]> OrderAsync(string question, IReadOnlyList<SearchHit> hits, CancellationToken cancellationToken);
}
