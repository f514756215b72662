using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansRag.Hosting;

namespace OrleansRag.Monitoring;

/// <summary>
/// Once the silo serves, starts the cluster's alerting (default rules the first time, every rule's timer), and keeps
/// waking the rules so that those whose silo died evaluate again on a living one.
/// </summary>
public sealed partial class AlertingStartup(
    IOptions<AlertingOptions> options, IGrainFactory grains, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<AlertingStartup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        await lifetime.WaitUntilStartedAsync(stoppingToken);

        // Then again every WatchdogInterval: rule grains that lived on a silo that died are activated anew.
        using var timer = new PeriodicTimer(options.Value.WatchdogInterval, time);
        do
        {
            try
            {
                await grains.GetGrain<IAlertManagerGrain>(AlertManagerGrain.Key).StartAsync().WaitAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogStartFailed(exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Starting or waking the alert rules failed; the next round tries again")]
    private partial void LogStartFailed(Exception exception);
}
