using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OrleansRag.Silo;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Http;

/// <summary>
/// The real silo host (the one <c>dotnet run --project silo</c> starts), listening on a loopback port chosen
/// through the standard --urls option, with its Orleans silo and gateway on free ports.
/// </summary>
public class RagHostFixture : IAsyncLifetime
{
    public const int MaxDocumentBytes = 64 * 1024;

    public WebApplication App { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public int GatewayPort { get; } = TestPaths.FreePort();

    public string ClusterId { get; } = "test-" + Guid.NewGuid().ToString("N")[..8];

    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings() => [];

    /// <summary>Further changes to the host builder (logging providers, services).</summary>
    protected virtual void Configure(WebApplicationBuilder builder)
    {
    }

    public virtual async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Cluster:SiloPort"] = TestPaths.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = GatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Cluster:ClusterId"] = ClusterId,
            ["Samples:Enabled"] = "false",
            ["Ingestion:MaxDocumentBytes"] = MaxDocumentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in Settings())
        {
            settings[key] = value;
        }

        App = RagHost.Build(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            Configure(builder);
        });
        await App.StartAsync();
        var address = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        BaseAddress = new Uri(address + "/");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

        await Infrastructure.Eventually.WaitUntilAsync(
            async () => (await Http.GetAsync("ready")).StatusCode == System.Net.HttpStatusCode.OK, TimeSpan.FromSeconds(60), "the host to be ready");
    }

    public virtual async Task DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }

    public async Task PutAsync(string collection, string id, string text, string? title = null, string? contentType = null)
    {
        using var response = await Http.PutAsJsonAsync($"v1/collections/{collection}/documents/{id}", new { text, title, contentType });
        response.EnsureSuccessStatusCode();
    }
}

[CollectionDefinition(Name)]
public sealed class HostCollection : ICollectionFixture<RagHostFixture>
{
    public const string Name = nameof(HostCollection);
}
