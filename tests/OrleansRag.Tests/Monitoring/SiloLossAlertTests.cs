using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.TestingHost;
using OrleansRag.Hosting;
using OrleansRag.Monitoring;
using OrleansRag.Retrieval;

namespace OrleansRag.Tests.Monitoring;

/// <summary>
/// "Service unavailable" on a TestingHost cluster: two silos publish their metrics on the stream, the metrics grain
/// sees both; one silo is killed (no goodbye), its series stops, and the webhook receiver gets a critical "no data"
/// alert naming that silo — wherever the metrics and rule grains lived before.
/// </summary>
public sealed class SiloLossAlertTests : IAsyncLifetime
{
    private AlertReceivers _receivers = null!;
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _receivers = await AlertReceivers.StartAsync();
        var builder = new TestClusterBuilder { Options = { InitialSilosCount = 2 } };
        builder.Properties["AlertWebhook"] = new Uri(_receivers.BaseAddress, "alertmanager").ToString();
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
        await _receivers.DisposeAsync();
    }

    [Fact]
    public async Task A_killed_silo_raises_a_critical_no_data_alert_naming_it()
    {
        var grains = _cluster.Client;
        await grains.GetGrain<IAlertManagerGrain>(AlertManagerGrain.Key).PutRuleAsync(DefaultAlertRules.All.Single(r => r.Name == "ServiceUnavailable") with
        {
            Window = TimeSpan.FromSeconds(2),
            NoDataAfter = TimeSpan.FromSeconds(3),
        });

        // Both silos report.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        MetricsSummary summary;
        do
        {
            await Task.Delay(300);
            summary = await grains.GetGrain<IMetricsGrain>(MetricsChannel.Key).GetSummaryAsync(TimeSpan.FromMinutes(1));
        }
        while (summary.Silos.Count < 2 && DateTime.UtcNow < deadline);
        Assert.Equal(2, summary.Silos.Count);

        var victim = _cluster.SecondarySilos[0];
        await _cluster.KillSiloAsync(victim);

        var payload = await WaitForAsync(() => _receivers.Webhook.FirstOrDefault(p => p.GetProperty("status").GetString() == "firing"), TimeSpan.FromSeconds(90));
        var alert = payload.GetProperty("alerts")[0];
        var labels = alert.GetProperty("labels");
        Assert.Equal("ServiceUnavailable", labels.GetProperty("alertname").GetString());
        Assert.Equal("critical", labels.GetProperty("severity").GetString());
        Assert.Equal("nodata", labels.GetProperty("alertstate").GetString());
        Assert.Equal(victim.SiloAddress!.ToString(), labels.GetProperty("silo").GetString());
        Assert.Equal("no data", alert.GetProperty("annotations").GetProperty("value").GetString());

        // The surviving silo is fine: no alert names it.
        Assert.DoesNotContain(_receivers.Webhook, p => p.GetRawText().Contains(_cluster.Primary!.SiloAddress!.ToString(), StringComparison.Ordinal));
    }

    private static async Task<JsonElement> WaitForAsync(Func<JsonElement> found, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            if (found() is { ValueKind: JsonValueKind.Object } value)
            {
                return value;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"no notification within {limit}");
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        private static readonly InMemoryShardStore SharedStore = new();

        public void Configure(ISiloBuilder siloBuilder)
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Monitoring:Interval"] = "00:00:00.300",
                ["Alerting:EvaluationInterval"] = "00:00:00.300",
                ["Alerting:WatchdogInterval"] = "00:00:01",
                ["Alerting:GroupInterval"] = "00:00:00.500",
                ["Alerting:DefaultRules"] = "false",
                ["Alerting:Webhooks:0:Url"] = siloBuilder.Configuration["AlertWebhook"],
            }).Build();
            siloBuilder.AddMemoryGrainStorage(RagConstants.StorageName);
            siloBuilder.AddMemoryGrainStorage("PubSubStore");
            siloBuilder.UseInMemoryReminderService();
            siloBuilder.AddMemoryStreams(RagConstants.StreamProvider);
            siloBuilder.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
            });
            siloBuilder.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
            siloBuilder.Services.AddSingleton<IShardStore>(SharedStore);
            siloBuilder.Services.AddRagGrainServices(configuration);
        }
    }
}
