using Orleans.Concurrency;
using OrleansRag.Security;

namespace OrleansRag.Monitoring;

public enum AlertAggregation
{
    Avg,
    Min,
    Max,
    Sum,
    Rate,
    P95,
}

public enum AlertComparator
{
    GreaterThan,
    GreaterOrEqual,
    LessThan,
    LessOrEqual,
}

public enum AlertSeverity
{
    Info,
    Warning,
    Critical,
}

public enum AlertState
{
    Inactive,
    Pending,
    Firing,
    NoData,
    Resolved,
}

/// <summary>An alert rule, like a Prometheus alerting rule: metric, aggregation over a window, comparison, for, severity.</summary>
[GenerateSerializer, Alias("OrleansRag.Monitoring.AlertRule")]
[Immutable]
public sealed record AlertRule(
    [property: Id(0)] string Name,
    [property: Id(1)] string Metric,
    [property: Id(2)] AlertAggregation Aggregation,
    [property: Id(3)] TimeSpan Window,
    [property: Id(4)] AlertComparator Comparator,
    [property: Id(5)] double Threshold,
    [property: Id(6)] TimeSpan For,
    [property: Id(7)] AlertSeverity Severity,
    [property: Id(8)] IReadOnlyDictionary<string, string> Labels,
    [property: Id(9)] IReadOnlyDictionary<string, string> Annotations,
    [property: Id(10)] TimeSpan RepeatInterval,
    [property: Id(11)] TimeSpan NoDataAfter,
    [property: Id(12)] string? Operation = null);

/// <summary>One alert (a rule's series) as operators and notifications see it.</summary>
[GenerateSerializer, Alias("OrleansRag.Monitoring.Alert")]
[Immutable]
public sealed record Alert(
    [property: Id(0)] string Rule,
    [property: Id(1)] AlertState State,
    [property: Id(2)] IReadOnlyDictionary<string, string> Labels,
    [property: Id(3)] IReadOnlyDictionary<string, string> Annotations,
    [property: Id(4)] DateTimeOffset? ActiveSince,
    [property: Id(5)] DateTimeOffset? StartsAt,
    [property: Id(6)] DateTimeOffset? EndsAt,
    [property: Id(7)] double? Value,
    [property: Id(8)] TimeSpan RepeatInterval);

/// <summary>A silence: alerts whose labels match every matcher send nothing until it expires.</summary>
[GenerateSerializer, Alias("OrleansRag.Monitoring.Silence")]
[Immutable]
public sealed record Silence(
    [property: Id(0)] string Id,
    [property: Id(1)] IReadOnlyDictionary<string, string> Matchers,
    [property: Id(2)] DateTimeOffset StartsAt,
    [property: Id(3)] DateTimeOffset EndsAt,
    [property: Id(4)] string CreatedBy,
    [property: Id(5)] string Comment)
{
    public bool Matches(IReadOnlyDictionary<string, string> labels, DateTimeOffset now) =>
        now >= StartsAt && now < EndsAt && Matchers.All(m => labels.TryGetValue(m.Key, out var value) && value == m.Value);
}

/// <summary>
/// One scope's alerting: rules (one grain each), silences, history. Key: "cluster" for the cluster-wide rules (the
/// defaults among them; the operator's), "{tenant}/alerts" for a tenant's own (its admins'). A key without a tenant
/// part reaches no tenant, so only operators (and the silo itself) reach the cluster's.
/// </summary>
[RequiresRole(RagRole.Admin)]
[TenantScoped(TenantScope.KeyPrefix)]
[Alias("OrleansRag.Monitoring.IAlertManagerGrain")]
public interface IAlertManagerGrain : IGrainWithStringKey
{
    Task<AlertRule[]> ListRulesAsync();

    Task<AlertRule?> GetRuleAsync(string name);

    /// <summary>Creates or replaces a rule; true when it was created.</summary>
    Task<bool> PutRuleAsync(AlertRule rule);

    Task<bool> DeleteRuleAsync(string name);

    /// <summary>Pending, firing and no-data alerts of every rule.</summary>
    Task<Alert[]> ActiveAlertsAsync();

    /// <summary>State changes, newest first.</summary>
    [ReadOnly]
    Task<Alert[]> HistoryAsync(int limit);

    Task<Silence> AddSilenceAsync(IReadOnlyDictionary<string, string> matchers, DateTimeOffset endsAt, string createdBy, string comment);

    Task<Silence[]> ListSilencesAsync();

    Task<bool> DeleteSilenceAsync(string id);

    /// <summary>Whether a silence covers these labels now.</summary>
    [ReadOnly]
    Task<bool> IsSilencedAsync(IReadOnlyDictionary<string, string> labels);

    /// <summary>Called by rule grains when an alert changes state.</summary>
    Task RecordAsync(Alert alert);

    /// <summary>
    /// Activates the manager and every rule (after a cluster start); the cluster's creates the default rules once
    /// and wakes every tenant's manager that has rules.
    /// </summary>
    Task StartAsync();

    /// <summary>Records (on the cluster's manager) that a tenant has rules of its own, so a cluster start wakes them.</summary>
    [RequiresRole(RagRole.Operator)]
    [AlwaysInterleave] // the cluster's StartAsync may be waiting on the very tenant manager that calls this
    Task AddTenantAsync(string tenant);
}

/// <summary>One alert rule, evaluated on a timer; key: the rule's name (a cluster rule) or "{tenant}/{name}".</summary>
[RequiresRole(RagRole.Admin)]
[TenantScoped(TenantScope.KeyPrefix)]
[Alias("OrleansRag.Monitoring.IAlertRuleGrain")]
public interface IAlertRuleGrain : IGrainWithStringKey
{
    Task SetAsync(AlertRule rule);

    Task RemoveAsync();

    [ReadOnly]
    Task<Alert[]> AlertsAsync();

    [ReadOnly]
    Task<AlertRule?> GetRuleAsync();

    /// <summary>Makes sure the rule is active and evaluating.</summary>
    Task WakeAsync();
}

/// <summary>Groups, de-duplicates and sends notifications for alert changes; key: the group key. Only rule grains call it.</summary>
[RequiresRole(RagRole.Operator)]
[TenantScoped(TenantScope.Cluster)]
[Alias("OrleansRag.Monitoring.IAlertNotifierGrain")]
public interface IAlertNotifierGrain : IGrainWithStringKey
{
    [OneWay]
    Task NotifyAsync(Alert alert);
}
