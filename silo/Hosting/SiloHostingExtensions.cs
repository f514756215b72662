using System.ComponentModel.DataAnnotations;
using System.Net;
using Orleans.Configuration;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using OrleansRag.Hosting;
using OrleansRag.Retrieval;

namespace OrleansRag.Silo.Hosting;

public static class SiloHostingExtensions
{
    /// <summary>
    /// Production mode keeps originals where every silo reads them: a throwaway folder (the embedded default's) would lose
    /// them with the silo and hide them from the others, so it must be chosen, not fallen into.
    /// </summary>
    private static void CheckSharedOriginals(ConfigurationManager configuration)
    {
        var keep = configuration.GetValue($"{OrleansRag.Ingestion.IngestionOptions.SectionName}:KeepSources", true);
        var kind = configuration[$"{OrleansRag.Blobs.BlobStoreOptions.SectionName}:Kind"];
        var folder = string.IsNullOrWhiteSpace(kind) || string.Equals(kind, nameof(OrleansRag.Blobs.BlobStoreKind.Folder), StringComparison.OrdinalIgnoreCase);
        if (keep && folder && string.IsNullOrWhiteSpace(configuration[$"{OrleansRag.Blobs.BlobStoreOptions.SectionName}:Path"]))
        {
            throw new RagStartupException("Production mode (Cluster:Storage Redis) keeps documents' original files where every silo reads them: " +
                "set BlobStore:Path to a folder all silos share, or BlobStore:Kind to AzureBlob or S3 (see docs/ingestion.md#original-files), " +
                "or Ingestion:KeepSources to false.");
        }
    }

    /// <summary>
    /// Configures the Orleans silo from the "Cluster" section: the embedded default (localhost clustering,
    /// memory storage) or production mode (AdoNet clustering on PostgreSQL, Redis storage), then OrleansRag's grains
    /// (<see cref="RagSiloBuilderExtensions.AddRagGrains"/>, as test clusters add them). An invalid value stops the host
    /// with a message that names the setting.
    /// </summary>
    public static WebApplicationBuilder UseRagSilo(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = Bind(builder.Configuration);
        builder.Services.AddSingleton(options);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);

        RedisConnection? redis = null;
        StackExchange.Redis.ConfigurationOptions? redisOptions = null;
        if (options.Storage == StorageMode.Redis)
        {
            try
            {
                redisOptions = StackExchange.Redis.ConfigurationOptions.Parse(options.RedisConnectionString!);
            }
            catch (ArgumentException exception)
            {
                throw new RagStartupException($"Cluster:RedisConnectionString is not a valid Redis configuration string: {exception.Message}", exception);
            }

            redis = new RedisConnection(options.RedisConnectionString!, options.ConnectTimeout);
            builder.Services.AddSingleton(redis);
            builder.Services.AddSingleton<IShardStore>(sp => new RedisShardStore(
                redis.GetAsync,
                sp.GetRequiredService<Serializer<ShardEntry>>(),
                sp.GetRequiredService<Serializer<IndexedChunk[]>>(),
                $"orleansrag:{options.ServiceId}"));
            builder.Services.AddSingleton<IStorageGeneration>(sp => new RedisStorageGeneration(
                redis.GetAsync, $"orleansrag:{options.ServiceId}", sp.GetRequiredService<ILogger<RedisStorageGeneration>>()));
            builder.Services.AddSingleton<OrleansRag.Ingestion.IDocumentSourceStore>(new OrleansRag.Ingestion.RedisDocumentSourceStore(redis.GetAsync, $"orleansrag:{options.ServiceId}"));
            builder.Services.AddSingleton<OrleansRag.Query.QueryLog.IQueryLog>(sp => new OrleansRag.Query.QueryLog.RedisQueryLog(
                redis.GetAsync, $"orleansrag:{options.ServiceId}", sp.GetRequiredService<IOptions<OrleansRag.Query.QueryLog.QueryLogOptions>>(), sp.GetRequiredService<TimeProvider>()));
            CheckSharedOriginals(builder.Configuration);
        }

        // Registered before the silo so that it runs first: bad connection strings fail fast and clearly.
        builder.Services.AddHostedService<ClusterStartupCheck>();
        builder.Services.Configure<ClusterMembershipOptions>(builder.Configuration.GetSection($"{OrleansHostingOptions.SectionName}:Membership"));

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = options.ServiceId;
            });

            if (options.KubernetesHosting)
            {
                // The pod's name and IP come from the downward API; only the ports are ours to set.
                silo.UseKubernetesHosting();
                silo.Configure<EndpointOptions>(o =>
                {
                    o.SiloPort = options.SiloPort;
                    o.GatewayPort = options.GatewayPort;
                });
            }
            else if (options.Clustering == ClusteringMode.AdoNet)
            {
                silo.ConfigureEndpoints(IPAddress.Parse(options.AdvertisedIPAddress), options.SiloPort, options.GatewayPort, options.ListenOnAnyHostAddress);
            }

            if (options.Clustering == ClusteringMode.AdoNet)
            {
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = options.PostgresConnectionString;
                });
            }
            else
            {
                silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
            }

            if (options.Tls.Enabled)
            {
                silo.UseTls(LoadCertificate(options.Tls), tls => ClusterTls.Configure(tls, options.Tls));
            }

            silo.AddRagGrains(builder.Configuration, redis is null ? null : durable =>
            {
                foreach (var name in new[] { RagConstants.StorageName, RagSiloBuilderExtensions.PubSubStorageName })
                {
                    durable.AddRedisGrainStorage(name, o =>
                    {
                        o.ConfigurationOptions = redisOptions;
                        o.CreateMultiplexer = async _ => (await redis.GetAsync(), true);
                    });
                }

                // Reminders resume background ingests whose silo died.
                durable.UseRedisReminderService(o =>
                {
                    o.ConfigurationOptions = redisOptions;
                    o.CreateMultiplexer = async _ => (await redis.GetAsync(), true);
                });
            });
        });
        builder.Services.AddSingleton<SiloReadiness>();
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloReadiness>());
        return builder;
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2 LoadCertificate(ClusterTlsOptions tls)
    {
        try
        {
            var certificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(tls.CertificatePath!, tls.CertificatePassword);
            return certificate.HasPrivateKey
                ? certificate
                : throw new RagStartupException($"Cluster:Tls:CertificatePath '{tls.CertificatePath}' has no private key; use a PKCS#12 (.pfx) file with one.");
        }
        catch (System.Security.Cryptography.CryptographicException exception)
        {
            // The message names the file, never the password.
            throw new RagStartupException($"Cluster:Tls:CertificatePath '{tls.CertificatePath}' cannot be read with Cluster:Tls:CertificatePassword: {exception.Message}", exception);
        }
    }

    /// <summary>The "Cluster" section, bound and checked once per configuration (<see cref="StartupOptions"/>).</summary>
    public static OrleansHostingOptions Bind(IConfiguration configuration) =>
        StartupOptions.Get<OrleansHostingOptions>(configuration, OrleansHostingOptions.SectionName);
}
