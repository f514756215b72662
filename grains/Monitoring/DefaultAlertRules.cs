namespace OrleansRag.Monitoring;

/// <summary>The rules a new cluster starts with (from the seed design); all editable over /v1/alert-rules.</summary>
public static class DefaultAlertRules
{
    private static readonly Dictionary<string, string> NoLabels = [];

    public static IReadOnlyList<AlertRule> All { get; } =
    [
        Rule("HighResponseTime", "request_latency_seconds", AlertAggregation.Avg, 5, AlertComparator.GreaterThan, 5, 1, AlertSeverity.Critical,
            "Average response time is above 5 s."),
        Rule("HighErrorRate", "error_percent", AlertAggregation.Avg, 5, AlertComparator.GreaterThan, 5, 1, AlertSeverity.Critical,
            "More than 5 % of requests fail."),
        Rule("LowCacheHitRate", "cache_hit_percent", AlertAggregation.Avg, 15, AlertComparator.LessThan, 50, 5, AlertSeverity.Warning,
            "Fewer than half of the questions are answered from the cache."),
        Rule("HighCpu", "cpu_percent", AlertAggregation.Avg, 5, AlertComparator.GreaterThan, 80, 5, AlertSeverity.Warning,
            "A silo uses more than 80 % CPU."),
        Rule("HighMemory", "memory_percent", AlertAggregation.Avg, 5, AlertComparator.GreaterThan, 85, 5, AlertSeverity.Critical,
            "A silo uses more than 85 % of its memory limit."),
        Rule("ServiceUnavailable", "heartbeat", AlertAggregation.Sum, 1, AlertComparator.LessThan, 1, 0, AlertSeverity.Critical,
            "A silo stopped reporting metrics: it is down or cut off.") with { NoDataAfter = TimeSpan.FromSeconds(30) },
    ];

    private static AlertRule Rule(string name, string metric, AlertAggregation aggregation, int windowMinutes, AlertComparator comparator,
        double threshold, int forMinutes, AlertSeverity severity, string summary) =>
        new(name, metric, aggregation, TimeSpan.FromMinutes(windowMinutes), comparator, threshold, TimeSpan.FromMinutes(forMinutes), severity,
            NoLabels, new Dictionary<string, string> { ["summary"] = summary }, TimeSpan.FromHours(4), TimeSpan.FromMinutes(2));
}
