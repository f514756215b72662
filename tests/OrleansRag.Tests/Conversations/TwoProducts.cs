using OrleansRag.Tests.Http;

namespace OrleansRag.Tests.Conversations;

/// <summary>Tests on the shared host that need the two-products collection in place.</summary>
public abstract class TwoProductsHostTests(RagHostFixture host) : IAsyncLifetime
{
    protected const string Collection = "two-products";

    protected RagHostFixture Host => host;

    public Task InitializeAsync() => TwoProducts.SeedAsync(host, Collection);

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>
/// A collection about two similar products, in which a follow-up about the first ("and how does it detect failures?")
/// is, on its own, closer to the second product's documents.
/// </summary>
public static class TwoProducts
{
    public static readonly (string Id, string Title, string Text)[] Documents =
    [
        ("zephyr-placement", "Zephyr actor placement",
            "Zephyr is a cluster runtime for virtual actors. Zephyr places each actor on a silo chosen by its placement director, " +
            "preferring the silo that received the first call. Zephyr moves actors between silos when the load is uneven."),
        ("zephyr-membership", "Zephyr cluster membership",
            "Zephyr silos monitor each other through the membership table. Every silo probes three other silos every two seconds; " +
            "a silo that misses three probes in a row is voted dead by its monitors, and Zephyr removes it from the table so its actors " +
            "are activated elsewhere."),
        ("boreas-scheduling", "Boreas job scheduling",
            "Boreas is a scheduler for batch jobs. Boreas splits each job into tasks and hands them to workers, preferring workers " +
            "that already hold the task's input data."),
        ("boreas-failures", "How Boreas detects failures",
            "Boreas detects failures of workers with heartbeats. Failure detection in Boreas works like this: each worker sends a " +
            "heartbeat to the coordinator every five seconds, and a worker whose heartbeats stop for thirty seconds is declared failed; " +
            "its tasks are rescheduled on other workers."),
    ];

    public const string FirstQuestion = "How does Zephyr place actors on silos?";

    public const string FollowUp = "And how does it detect failures?";

    /// <summary>Puts the documents into <paramref name="collection"/> (again: unchanged).</summary>
    public static async Task SeedAsync(RagHostFixture host, string collection)
    {
        ArgumentNullException.ThrowIfNull(host);
        foreach (var (id, title, text) in Documents)
        {
            await host.PutAsync(collection, id, text, title);
        }
    }
}
