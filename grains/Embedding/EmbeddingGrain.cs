using Orleans.Concurrency;

namespace OrleansRag.Embedding;

/// <summary>
/// Stateless worker over the silo's <see cref="EmbeddingModels"/>: calls run on the silo that makes them and
/// are reentrant, so concurrent requests meet in the service's batching queue. One activation per silo, so that
/// a caller's cancellation reaches the activation running its call (see <see cref="Query.QueryGrain"/>).
/// </summary>
[StatelessWorker(1)]
[Reentrant]
public sealed class EmbeddingGrain(EmbeddingModels models) : Grain, IEmbeddingGrain
{
    public async Task<EmbeddingBatch> EmbedAsync(string[] texts, EmbeddingKind kind, string? model = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (model is not null && !models.IsKnown(model))
        {
            throw new RagValidationException($"model '{RagValidation.Truncate(model)}' is not served here; this cluster serves {string.Join(", ", models.Names)}.", nameof(model));
        }

        var embeddings = model is null ? models.Default : await models.GetAsync(model);
        return await embeddings.EmbedAsync(texts, kind, cancellationToken);
    }
}
