using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansRag.Hosting;

namespace OrleansRag.Monitoring;

/// <summary>Once the silo serves, starts the cluster's alerting (default rules the first time, every rule's timer).</summary>
public sealed partial class AlertingStartup(
    IOptions<AlertingOptions> options, IGrainFactory grains, IHostApplicationLifetime lifetime, ILogger<AlertingStartup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        await lifetime.WaitUntilStartedAsync(stoppingToken);

        for (var attempt = 1; attempt <= 5 && !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await grains.GetGrain<IAlertManagerGrain>(AlertManagerGrain.Key).StartAsync().WaitAsync(stoppingToken).ConfigureAwait(false);
                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogStartFailed(exception, attempt);
                await Task.Delay(TimeSpan.FromSeconds(attempt * 2), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Starting alerting failed (attempt {Attempt} of 5)")]
    private partial void LogStartFailed(Exception exception, int attempt);
}
