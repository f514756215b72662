using Microsoft.Extensions.Configuration;

namespace OrleansRag.Hosting;

/// <summary>
/// The silo side of OrleansRag, one way for the host and for test clusters alike: grain storage and reminders (in
/// memory unless <c>storage</c> configures durable ones), the memory stream provider that carries metrics, trace
/// context through every grain call, and the grains' services (<see cref="RagServiceCollectionExtensions.AddRagGrainServices"/>).
/// Clustering, endpoints and TLS are the host's.
/// </summary>
public static class RagSiloBuilderExtensions
{
    /// <summary>The storage of the pub-sub behind the metrics stream.</summary>
    public const string PubSubStorageName = "PubSubStore";

    /// <param name="silo">The silo.</param>
    /// <param name="configuration">Where the grains' options are bound from.</param>
    /// <param name="storage">
    /// Registers grain storage named <see cref="RagConstants.StorageName"/> and <see cref="PubSubStorageName"/> and a
    /// reminder service (production: Redis); null keeps them in memory (the embedded default).
    /// </param>
    public static ISiloBuilder AddRagGrains(this ISiloBuilder silo, IConfiguration configuration, Action<ISiloBuilder>? storage = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        if (storage is null)
        {
            silo.AddMemoryGrainStorage(RagConstants.StorageName);
            silo.AddMemoryGrainStorage(PubSubStorageName);
            silo.UseInMemoryReminderService();
        }
        else
        {
            storage(silo);
        }

        silo.AddMemoryStreams(RagConstants.StreamProvider);
        silo.AddActivityPropagation(); // trace context flows from HTTP through every grain call
        silo.Services.AddRagGrainServices(configuration);
        return silo;
    }
}
