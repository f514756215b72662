using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace OrleansRag.Client;

public static class RagClientTlsExtensions
{
    /// <summary>
    /// Connects to a cluster whose silos run with <c>Cluster:Tls</c>: presents <paramref name="certificate"/> (the
    /// cluster's certificate, or one whose thumbprint the silos list in <c>Cluster:Tls:TrustedThumbprints</c>) and
    /// accepts only silos presenting a certificate with one of <paramref name="trustedSiloThumbprints"/> (default:
    /// the same certificate).
    /// </summary>
    public static IClientBuilder UseRagTls(this IClientBuilder builder, X509Certificate2 certificate, params string[] trustedSiloThumbprints)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var trusted = new HashSet<string>(trustedSiloThumbprints.Length > 0 ? trustedSiloThumbprints : [certificate.Thumbprint], StringComparer.OrdinalIgnoreCase);
        return builder.UseTls(certificate, tls =>
        {
            tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            tls.RemoteCertificateValidation = (remote, _, _) => remote is not null && trusted.Contains(remote.Thumbprint);
        });
    }
}
