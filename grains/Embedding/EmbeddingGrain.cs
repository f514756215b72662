using Orleans.Concurrency;

namespace OrleansRag.Embedding;

/// <summary>
/// Stateless worker over the silo's <see cref="EmbeddingService"/>: calls run on the silo that makes them and
/// are reentrant, so concurrent requests meet in the service's batching queue. One activation per silo, so that
/// a caller's cancellation reaches the activation running its call (see <see cref="Query.QueryGrain"/>).
/// </summary>
[StatelessWorker(1)]
[Reentrant]
public sealed class EmbeddingGrain(EmbeddingService embeddings) : Grain, IEmbeddingGrain
{
    public Task<EmbeddingBatch> EmbedAsync(string[] texts, EmbeddingKind kind, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return embeddings.EmbedAsync(texts, kind, cancellationToken);
    }
}
