using System.ComponentModel.DataAnnotations;

namespace OrleansRag.Silo.Hosting;

/// <summary>
/// Configuration section "Cluster": how this silo joins its cluster. (The section "Orleans" is read by Orleans
/// itself for its configuration-based providers, so OrleansRag keeps its own.)
/// </summary>
public sealed class OrleansHostingOptions
{
    public const string SectionName = "Cluster";

    /// <summary>Only "Localhost" (single machine, development clustering) in the embedded default.</summary>
    [AllowedValues("Localhost")]
    public string Clustering { get; set; } = "Localhost";

    /// <summary>Only "Memory" in the embedded default.</summary>
    [AllowedValues("Memory")]
    public string Storage { get; set; } = "Memory";

    [Required]
    public string ClusterId { get; set; } = "orleans-rag";

    [Required]
    public string ServiceId { get; set; } = "orleans-rag";

    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;
}
