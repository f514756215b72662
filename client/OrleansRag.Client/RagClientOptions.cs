namespace OrleansRag.Client;

public sealed class RagClientOptions
{
    /// <summary>Tenant whose collections this client reads and writes.</summary>
    public string Tenant { get; set; } = RagConstants.DefaultTenant;
}
