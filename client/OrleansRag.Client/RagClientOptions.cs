namespace OrleansRag.Client;

public sealed class RagClientOptions
{
    /// <summary>
    /// Tenant whose collections this client reads and writes when the cluster runs without API keys (the embedded
    /// default). With <see cref="ApiKey"/> set, the tenant is the key's and this is ignored.
    /// </summary>
    public string Tenant { get; set; } = RagConstants.DefaultTenant;

    /// <summary>
    /// The API key (<c>orag_…</c>, from <c>orag keys create</c>) the cluster verifies on every call; it decides the
    /// tenant and role. Required when the cluster has keys configured. Read it from configuration or a secret
    /// store, never from source code.
    /// </summary>
    public string? ApiKey { get; set; }
}
