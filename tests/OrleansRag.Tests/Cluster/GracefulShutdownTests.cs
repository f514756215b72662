using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using OrleansRag.Hosting;

namespace OrleansRag.Tests.Cluster;

/// <summary>
/// A silo that stops gracefully (a rolling update, a scale-down) finishes the work its grains still receive: an ingest
/// that reaches a grain while the silo is stopping is embedded and stored, not failed because the silo's embedding
/// lanes closed before its grains did (the host stops services in reverse registration order, and the model's service
/// is registered after the silo's).
/// </summary>
public sealed class GracefulShutdownTests
{
    private const string Tenant = "shutdown";

    /// <summary>What the ingest sent while the silo stopped came to; one silo per test run, so one outcome.</summary>
    private static readonly TaskCompletionSource<IngestResult> Outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Fact]
    public async Task An_ingest_that_reaches_a_grain_while_its_silo_stops_is_stored()
    {
        var builder = new TestClusterBuilder { Options = { InitialSilosCount = 1 } };
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
            await cluster.Client.GetGrain<ICollectionGrain>(GrainKeys.Collection(Tenant, "notes")).CreateAsync(new CollectionSettings(ShardCount: 1));

            await cluster.StopAllSilosAsync();

            var result = await Outcome.Task.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.Equal(IngestStatus.Created, result.Status);
            Assert.True(result.ChunkCount > 0);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddRagGrains(new ConfigurationBuilder().Build()); // memory storage
            siloBuilder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, IngestWhileStopping>();
        }
    }

    /// <summary>
    /// Ingests a document when the silo begins to stop (the stop of its Active stage, before its grains deactivate):
    /// the moment a rolling update's last requests arrive.
    /// </summary>
    private sealed class IngestWhileStopping(IGrainFactory grains) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(IngestWhileStopping), ServiceLifecycleStage.Active, _ => Task.CompletedTask, async cancellationToken =>
            {
                try
                {
                    var document = grains.GetGrain<IDocumentGrain>(GrainKeys.Document(GrainKeys.Collection(Tenant, "notes"), "late"));
                    Outcome.TrySetResult(await document.UpsertAsync(new DocumentInput(
                        "The last ferry of the evening leaves the west harbour at eleven, after the silo was told to stop.", "Late"), cancellationToken));
                }
                catch (Exception exception)
                {
                    Outcome.TrySetException(exception);
                }
            });
    }
}
