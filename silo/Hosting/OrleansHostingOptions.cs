using System.ComponentModel.DataAnnotations;

namespace OrleansRag.Silo.Hosting;

/// <summary>How a silo finds the others.</summary>
public enum ClusteringMode
{
    /// <summary>One machine, Orleans' development membership.</summary>
    Localhost,

    /// <summary>A PostgreSQL membership table (Orleans' ADO.NET clustering).</summary>
    AdoNet,
}

/// <summary>Where grain state and shard entries are kept.</summary>
public enum StorageMode
{
    /// <summary>In the silo's memory: lost on restart.</summary>
    Memory,

    /// <summary>In Redis.</summary>
    Redis,
}

/// <summary>
/// Configuration section "Cluster": how this silo joins its cluster and where it keeps state. (The section
/// "Orleans" is read by Orleans itself for its configuration-based providers, so OrleansRag keeps its own.)
/// </summary>
public sealed class OrleansHostingOptions : IValidatableObject
{
    public const string SectionName = "Cluster";

    [EnumDataType(typeof(ClusteringMode))]
    public ClusteringMode Clustering { get; set; } = ClusteringMode.Localhost;

    [EnumDataType(typeof(StorageMode))]
    public StorageMode Storage { get; set; } = StorageMode.Memory;

    /// <summary>Npgsql connection string of the membership database (Clustering=AdoNet).</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>StackExchange.Redis configuration string, e.g. "redis1:6379,password=…" (Storage=Redis).</summary>
    public string? RedisConnectionString { get; set; }

    /// <summary>Apply deploy/sql/postgresql-clustering.sql (idempotent) at start.</summary>
    public bool InitializeSchema { get; set; } = true;

    /// <summary>How long start-up waits for PostgreSQL and Redis before it gives up with an error.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    [Required]
    public string ClusterId { get; set; } = "orleans-rag";

    [Required]
    public string ServiceId { get; set; } = "orleans-rag";

    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other silos and clients reach this silo at (AdoNet clustering).</summary>
    public string AdvertisedIPAddress { get; set; } = "127.0.0.1";

    /// <summary>Listen on every interface instead of only the advertised address.</summary>
    public bool ListenOnAnyHostAddress { get; set; }

    /// <summary>
    /// Running as pods of one Kubernetes Deployment: Microsoft.Orleans.Hosting.Kubernetes takes the silo name and
    /// advertised address from the pod (POD_NAME, POD_NAMESPACE, POD_IP from the downward API), listens on every
    /// interface and watches the pods of the cluster. Membership still lives in PostgreSQL (Clustering=AdoNet).
    /// </summary>
    public bool KubernetesHosting { get; set; }

    /// <summary>TLS for silo-to-silo and client-to-silo (gateway) connections; off unless a certificate is given.</summary>
    public ClusterTlsOptions Tls { get; set; } = new();

    /// <summary>
    /// How long a stopping silo may take to hand its grains over and deactivate them (host shutdown timeout).
    /// Kubernetes' terminationGracePeriodSeconds must be longer.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:30:00")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Clustering == ClusteringMode.AdoNet && string.IsNullOrWhiteSpace(PostgresConnectionString))
        {
            yield return new ValidationResult("is required when Cluster:Clustering is AdoNet.", [nameof(PostgresConnectionString)]);
        }

        if (Storage == StorageMode.Redis && string.IsNullOrWhiteSpace(RedisConnectionString))
        {
            yield return new ValidationResult("is required when Cluster:Storage is Redis.", [nameof(RedisConnectionString)]);
        }

        if (Tls.CertificatePath is { } certificate && !File.Exists(certificate))
        {
            yield return new ValidationResult($"'{certificate}' does not exist.", ["Tls:CertificatePath"]);
        }

        if (KubernetesHosting && Clustering != ClusteringMode.AdoNet)
        {
            yield return new ValidationResult("needs Cluster:Clustering=AdoNet: Kubernetes hosting supplements a membership table, it is not one.", [nameof(KubernetesHosting)]);
        }

        if (!System.Net.IPAddress.TryParse(AdvertisedIPAddress, out _))
        {
            yield return new ValidationResult($"'{AdvertisedIPAddress}' is not an IP address.", [nameof(AdvertisedIPAddress)]);
        }
    }
}

/// <summary>
/// "Cluster:Tls": encrypts Orleans' own connections (Microsoft.Orleans.Connections.Security). Every silo presents
/// the certificate at <see cref="CertificatePath"/> (PKCS#12 with its private key); a peer is accepted when it
/// presents the same certificate or one whose thumbprint is in <see cref="TrustedThumbprints"/> (clients' own).
/// </summary>
public sealed class ClusterTlsOptions
{
    public string? CertificatePath { get; set; }

    /// <summary>Password of the PKCS#12 file (from a secret; never logged).</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Gateway clients must present a trusted certificate (mutual TLS): the gateway is then closed to strangers.</summary>
    public bool RequireClientCertificate { get; set; } = true;

    /// <summary>Further certificates (SHA-1 thumbprints, hex) accepted from silos and clients.</summary>
    public IList<string> TrustedThumbprints { get; } = [];

    public bool Enabled => !string.IsNullOrWhiteSpace(CertificatePath);
}
