using OrleansRag.Security;

namespace OrleansRag;

/// <summary>Embeds texts with one of the silo's ONNX models (null: the default); a stateless worker, so calls stay on the calling silo.</summary>
[TenantScoped(TenantScope.Cluster)]
[Alias("OrleansRag.IEmbeddingGrain")]
public interface IEmbeddingGrain : IGrainWithIntegerKey
{
    Task<EmbeddingBatch> EmbedAsync(string[] texts, EmbeddingKind kind, string? model = null, CancellationToken cancellationToken = default);
}
