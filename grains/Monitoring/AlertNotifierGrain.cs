using Microsoft.Extensions.Options;

namespace OrleansRag.Monitoring;

/// <summary>
/// One notification group (key: the group labels' values): collects its alerts in a <see cref="NotificationGroup"/>
/// and, when something is due, hands one notification to the <see cref="NotificationSender"/>, which delivers it
/// to every channel in the background with retries.
/// </summary>
public sealed class AlertNotifierGrain(IOptions<AlertingOptions> options, NotificationSender sender, TimeProvider time)
    : Grain, IAlertNotifierGrain
{
    private readonly NotificationGroup _group = new(options.Value.GroupInterval);
    private IGrainTimer? _timer;

    /// <summary>The tenant whose alerts this group holds (the group key includes it); null for the cluster's.</summary>
    private string? _tenant;

    public async Task NotifyAsync(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        _tenant ??= alert.Labels.GetValueOrDefault(AlertManagerGrain.TenantLabel);
        _group.Add(alert);
        await FlushAsync(CancellationToken.None);
        var period = TimeSpan.FromMilliseconds(Math.Clamp(options.Value.GroupInterval.TotalMilliseconds / 2, 100, 5000));
        _timer ??= this.RegisterGrainTimer(FlushAsync, new GrainTimerCreationOptions { DueTime = period, Period = period });
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (!_group.IsDue(time.GetUtcNow()))
        {
            return; // most calls: the same firing alerts again, nothing to send
        }

        // The cluster's silences cover every alert; a tenant's, only that tenant's (the group holds one tenant's alerts).
        var silences = await GrainFactory.GetGrain<IAlertManagerGrain>(AlertManagerGrain.Key).ListSilencesAsync();
        if (_tenant is { Length: > 0 } tenant)
        {
            silences = [.. silences, .. await GrainFactory.GetGrain<IAlertManagerGrain>(AlertManagerGrain.KeyFor(tenant)).ListSilencesAsync()];
        }

        var now = time.GetUtcNow();
        var due = _group.TakeDue(now, alert => silences.Any(s => s.Matches(alert.Labels, now)));
        if (due.Count > 0)
        {
            sender.Dispatch(this.GetPrimaryKeyString(), due);
        }
    }
}
