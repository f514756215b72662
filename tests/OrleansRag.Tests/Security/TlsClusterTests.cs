using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OrleansRag.Client;
using OrleansRag.Tests.Production;

namespace OrleansRag.Tests.Security;

/// <summary>
/// Cluster:Tls: two silo processes whose silo-to-silo and gateway connections are TLS form one cluster and answer
/// a client that connects with the certificate; a client without TLS is not let in; the password is never logged.
/// </summary>
public sealed class TlsClusterTests
{
    [Fact]
    public async Task A_tls_cluster_forms_and_answers_a_tls_client_and_refuses_a_plain_one()
    {
        var folder = Directory.CreateTempSubdirectory("orleansrag-tls-");
        const string password = "pfx-PASSWORD-4c1d9e";
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=orleansrag-cluster", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var pfx = Path.Combine(folder.FullName, "cluster.pfx");
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pkcs12, password));
        using var clientCertificate = X509CertificateLoader.LoadPkcs12FromFile(pfx, password);

        try
        {
            await using var cluster = new ProductionCluster();
            cluster.ExtraSettings["Cluster:Tls:CertificatePath"] = pfx;
            cluster.ExtraSettings["Cluster:Tls:CertificatePassword"] = password;
            await cluster.StartSilosAsync(2);
            foreach (var silo in cluster.Silos)
            {
                Assert.Equal(3, await cluster.MembershipStatusAsync(silo.SiloPort)); // both active: silo-to-silo TLS works
            }

            var rag = await cluster.ConnectClientAsync(client => client.UseRagTls(clientCertificate));
            await rag.IngestAsync("tls", "doc", new DocumentInput("Transport Layer Security encrypts connections between silos and clients."));
            var answer = await rag.AskAsync("tls", "What does Transport Layer Security encrypt?");
            Assert.Equal("doc", Assert.Single(answer.Citations).DocumentId);

            // Over HTTP on the other silo too: the grains live wherever the cluster put them.
            using var ask = await cluster.Silos[1].Http.PostAsync("v1/collections/tls/search",
                System.Net.Http.Json.JsonContent.Create(new { query = "encrypts connections" }));
            Assert.Contains("\"documentId\":\"doc\"", await ask.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            // A client without TLS cannot use the gateway: asked to give up on the first failure (not to retry, as clients
            // do by default), its start fails at once.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            var refused = await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                var plain = await cluster.ConnectClientAsync(client => client
                    .Configure<Orleans.Configuration.ConnectionOptions>(o => o.OpenConnectionTimeout = TimeSpan.FromSeconds(3))
                    .Configure<Orleans.Configuration.ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5))
                    .UseConnectionRetryFilter((_, _) => Task.FromResult(false))).WaitAsync(timeout.Token);
                await plain.GetCollectionAsync("tls").WaitAsync(timeout.Token);
            });
            Assert.IsType<Orleans.Runtime.Messaging.ConnectionFailedException>(refused); // refused by the gateways, not by this test's patience

            Assert.All(cluster.Silos, silo => Assert.DoesNotContain(password, silo.Output, StringComparison.Ordinal));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
