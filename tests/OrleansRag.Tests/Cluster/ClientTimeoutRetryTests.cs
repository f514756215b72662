using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.TestingHost;
using OrleansRag.Client;
using OrleansRag.Hosting;

namespace OrleansRag.Tests.Cluster;

/// <summary>
/// An external client is never told that the gateway its call went through has gone (a silo stopped in a rolling
/// restart, or killed): the response is lost and the call ends in the client's response timeout. The SDK retries its
/// reads and text upserts once on that timeout, so such a call is answered instead of failed.
/// </summary>
public sealed class ClientTimeoutRetryTests
{
    private static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Reads of documents the silo received; the first one is held past the client's response timeout.</summary>
    private static int _reads;

    [Fact]
    public async Task A_read_whose_response_does_not_arrive_in_time_is_retried_and_answered()
    {
        var builder = new TestClusterBuilder { Options = { InitialSilosCount = 1 } };
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
            var rag = new RagClient(cluster.Client, Options.Create(new RagClientOptions { Tenant = "timeouts" }));
            await rag.IngestAsync("notes", "ferry", new DocumentInput("The night ferry leaves the west harbour at eleven."));

            var document = await rag.GetAsync("notes", "ferry");

            Assert.Equal("The night ferry leaves the west harbour at eleven.", document?.Text);
            Assert.True(Volatile.Read(ref _reads) >= 2, $"the silo saw {_reads} reads: the first timed out, so the client must have asked again");
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddRagGrains(new ConfigurationBuilder().Build()); // memory storage
            siloBuilder.Services.AddSingleton<IIncomingGrainCallFilter, FirstReadHeld>();
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = ResponseTimeout);
    }

    /// <summary>Holds the first document read past the client's response timeout: its response comes too late, as a lost one would never come.</summary>
    private sealed class FirstReadHeld : IIncomingGrainCallFilter
    {
        public async Task Invoke(IIncomingGrainCallContext context)
        {
            if (context.InterfaceMethod.DeclaringType == typeof(IDocumentGrain) && context.InterfaceMethod.Name == nameof(IDocumentGrain.GetAsync)
                && Interlocked.Increment(ref _reads) == 1)
            {
                await Task.Delay(ResponseTimeout + TimeSpan.FromSeconds(1));
            }

            await context.Invoke();
        }
    }
}
