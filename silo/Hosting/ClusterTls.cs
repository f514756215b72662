using System.Net.Security;
using Orleans.Connections.Security;

namespace OrleansRag.Silo.Hosting;

/// <summary>Which peers a TLS silo accepts: the cluster's own certificate, or one of the trusted thumbprints.</summary>
public static class ClusterTls
{
    public static void Configure(TlsOptions tls, ClusterTlsOptions settings)
    {
        ArgumentNullException.ThrowIfNull(tls);
        ArgumentNullException.ThrowIfNull(settings);
        var own = tls.LocalCertificate?.Thumbprint;
        var trusted = new HashSet<string>(settings.TrustedThumbprints.Select(t => t.Replace(":", "", StringComparison.Ordinal).Trim()), StringComparer.OrdinalIgnoreCase);
        if (own is not null)
        {
            trusted.Add(own);
        }

        tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        tls.ClientCertificateMode = settings.RequireClientCertificate ? RemoteCertificateMode.RequireCertificate : RemoteCertificateMode.AllowCertificate;
        tls.RemoteCertificateValidation = (certificate, _, errors) =>
            certificate is null ? !settings.RequireClientCertificate && errors == SslPolicyErrors.RemoteCertificateNotAvailable
            : trusted.Contains(certificate.Thumbprint);
    }
}
