using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansRag.Monitoring;

[GenerateSerializer, Alias("OrleansRag.Monitoring.AlertRuleGrainState")]
public sealed class AlertRuleGrainState
{
    [Id(0)]
    public AlertRule? Rule { get; set; }

    [Id(1)]
    public Dictionary<string, SeriesState> Series { get; set; } = [];
}

/// <summary>
/// One alert rule: evaluates its metric on a timer that keeps it active, moves its series through
/// <see cref="AlertEvaluator"/>, records state changes with the manager (history) and hands firing and resolved
/// alerts to the notifier of their group (one-way: a slow channel never delays evaluation). Its definition and
/// series states are persisted grain state (Redis in production mode).
/// </summary>
[GrainType("alertrule")] // the name the convention gave it: stored state and reminders are keyed by it, so a rename of the class must not change it
public sealed partial class AlertRuleGrain(
    [PersistentState("alert-rule", RagConstants.StorageName)] IPersistentState<AlertRuleGrainState> state,
    IOptions<AlertingOptions> options, TimeProvider time, ILogger<AlertRuleGrain> logger) : Grain, IAlertRuleGrain
{
    private IGrainTimer? _timer;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Rule is not null)
        {
            StartTimer();
        }

        return Task.CompletedTask;
    }

    public async Task SetAsync(AlertRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        rule = AlertManagerGrain.Scoped(rule, AlertManagerGrain.TenantOf(this.GetPrimaryKeyString()));
        var changedCondition = state.State.Rule is not { } old || old with { Annotations = rule.Annotations, Labels = rule.Labels } != rule;
        state.State.Rule = rule;
        if (changedCondition)
        {
            state.State.Series.Clear(); // a new condition starts from scratch
        }

        await state.WriteStateAsync();
        StartTimer();
    }

    public async Task RemoveAsync()
    {
        _timer?.Dispose();
        _timer = null;
        // The resolved notifications are the rule's own doing, not its caller's (the notifier is the silo's): an
        // internal call (this async method's context change stays inside it).
        RequestContext.Remove(Security.RagRequestContext.Principal);
        if (state.State.Rule is { } rule)
        {
            // Firing alerts of a deleted rule end.
            foreach (var series in state.State.Series.Values.Where(s => s.State is AlertState.Firing or AlertState.NoData))
            {
                series.State = AlertState.Resolved;
                series.EndedAt = time.GetUtcNow();
                await Notify(AlertEvaluator.ToAlert(rule, series));
            }
        }

        await state.ClearStateAsync();
        DeactivateOnIdle();
    }

    public Task<Alert[]> AlertsAsync() =>
        Task.FromResult(state.State.Rule is { } rule ? AlertEvaluator.Active(rule, state.State.Series) : []);

    public Task<AlertRule?> GetRuleAsync() => Task.FromResult(state.State.Rule);

    public Task WakeAsync() => Task.CompletedTask; // activation starts the timer

    private void StartTimer()
    {
        _timer ??= this.RegisterGrainTimer(EvaluateAsync, new GrainTimerCreationOptions
        {
            DueTime = options.Value.EvaluationInterval,
            Period = options.Value.EvaluationInterval,
            KeepAlive = true,
        });
    }

    private async Task EvaluateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Rule is not { } rule)
        {
            return;
        }

        SeriesValue[] values;
        try
        {
            values = await GrainFactory.GetGrain<IMetricsGrain>(MetricsChannel.Key).QueryAsync(rule.Metric, rule.Aggregation, rule.Window, rule.Operation);
            if (AlertManagerGrain.TenantOf(this.GetPrimaryKeyString()) is { } tenant && MetricCatalog.PerCollection.Contains(rule.Metric))
            {
                // A tenant's rule sees its own collections only.
                values = [.. values.Where(v => v.Labels.GetValueOrDefault(MetricCatalog.CollectionLabel, "").StartsWith(tenant + "/", StringComparison.Ordinal))];
            }
        }
        catch (Exception exception)
        {
            LogQueryFailed(exception, rule.Name);
            return;
        }

        var changed = AlertEvaluator.Evaluate(rule, state.State.Series, values, time.GetUtcNow());
        if (changed.Count > 0)
        {
            await state.WriteStateAsync(CancellationToken.None);
            var manager = GrainFactory.GetGrain<IAlertManagerGrain>(AlertManagerGrain.KeyFor(AlertManagerGrain.TenantOf(this.GetPrimaryKeyString())));
            foreach (var alert in changed)
            {
                await manager.RecordAsync(alert);
            }
        }

        // Firing alerts are handed over on every evaluation (the notifier de-duplicates and repeats); resolved once.
        foreach (var alert in AlertEvaluator.Active(rule, state.State.Series).Where(a => a.State is AlertState.Firing or AlertState.NoData)
                     .Concat(changed.Where(a => a.State == AlertState.Resolved)))
        {
            await Notify(alert);
        }
    }

    private Task Notify(Alert alert)
    {
        // Each tenant's alerts are grouped apart from the cluster's and other tenants'.
        var group = string.Join(",", options.Value.GroupLabels.Append(AlertManagerGrain.TenantLabel).Distinct()
            .Select(label => $"{label}={alert.Labels.GetValueOrDefault(label, "")}"));
        return GrainFactory.GetGrain<IAlertNotifierGrain>(group).NotifyAsync(alert);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert rule {Rule} could not query its metric; it tries again next interval")]
    private partial void LogQueryFailed(Exception exception, string rule);
}
