using OrleansRag.Security;

namespace OrleansRag;

/// <summary>Embeds texts with the silo's ONNX model; a stateless worker, so calls stay on the calling silo.</summary>
[TenantScoped(TenantScope.Cluster)]
[Alias("OrleansRag.IEmbeddingGrain")]
public interface IEmbeddingGrain : IGrainWithIntegerKey
{
    Task<EmbeddingBatch> EmbedAsync(string[] texts, EmbeddingKind kind, CancellationToken cancellationToken = default);
}
