using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using OrleansRag.Hosting;
using OrleansRag.Retrieval;

namespace OrleansRag.Tests.Cluster;

/// <summary>A two-silo Orleans TestingHost cluster with OrleansRag's grains, the real model and memory storage.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    /// <summary>
    /// The store both silos share; tests inject storage failures through it (and into grain state through
    /// <see cref="FaultInjectingGrainStorage"/>).
    /// </summary>
    public static FaultInjectingShardStore Store { get; } = new(new InMemoryShardStore());

    /// <summary>The source store both silos share, as they would share Redis in production.</summary>
    public static OrleansRag.Ingestion.InMemoryDocumentSourceStore Sources { get; } = new();

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder { Options = { InitialSilosCount = 2 } };
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        /// <summary>Both in-process silos share one source store, as they would share Redis in production.</summary>
        private const string InnerStorage = "rag-memory";

        public void Configure(ISiloBuilder siloBuilder)
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Ingestion:ShardCount"] = "4",
                ["Ingestion:ChunkTokens"] = "64",
                ["Ingestion:ChunkOverlapTokens"] = "16",
                ["Ingestion:SyncMaxBytes"] = "4096",
                ["Ingestion:PartChunks"] = "16",
                ["Ingestion:MaxAttempts"] = "4",
                ["Ingestion:RetryBaseDelay"] = "00:00:00.200",
                ["Conversations:MaxTurns"] = "2",
                ["Conversations:IdleTtl"] = "00:00:05",
                ["Conversations:MaxPerKey"] = "3",
            }).Build();
            siloBuilder.Services.AddSingleton<IShardStore>(Store);
            siloBuilder.Services.AddSingleton<OrleansRag.Ingestion.IDocumentSourceStore>(Sources);
            siloBuilder.AddRagGrains(configuration, storage => // the host's grains, with storage that fails on request
            {
                storage.AddMemoryGrainStorage(InnerStorage);
                storage.Services.AddKeyedSingleton<Orleans.Storage.IGrainStorage>(RagConstants.StorageName, (services, _) =>
                    new FaultInjectingGrainStorage(services.GetRequiredKeyedService<Orleans.Storage.IGrainStorage>(InnerStorage)));
                storage.AddMemoryGrainStorage(RagSiloBuilderExtensions.PubSubStorageName);
                storage.UseInMemoryReminderService();
            });
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = nameof(ClusterCollection);
}
