namespace OrleansRag.Monitoring;

/// <summary>The rules a new cluster starts with (from the seed design); all editable over /v1/alert-rules.</summary>
public static class DefaultAlertRules
{
    private static readonly Dictionary<string, string> NoLabels = [];

    /// <summary>
    /// Symptoms users feel (slow searches and asks, failing requests) and resources running out, with thresholds that
    /// ordinary use does not reach: a 10-minute mixed load (bench/: <c>alerts</c>) fires none of them. A low cache hit
    /// rate is no fault (distinct questions never hit), so it is not a default rule; add it if your traffic repeats.
    /// </summary>
    public static IReadOnlyList<AlertRule> All { get; } =
    [
        Rule("HighSearchLatency", "request_latency_seconds", AlertAggregation.P95, 5, AlertComparator.GreaterThan, 2, 5, AlertSeverity.Critical,
            "95 % of searches should take under 2 s; for the last 5 minutes they did not.") with { Operation = "search" },
        Rule("HighAskLatency", "request_latency_seconds", AlertAggregation.P95, 5, AlertComparator.GreaterThan, 30, 5, AlertSeverity.Warning,
            "95 % of asks should take under 30 s (a language model included); for the last 5 minutes they did not.") with { Operation = "ask" },
        Rule("HighErrorRate", "error_percent", AlertAggregation.Avg, 5, AlertComparator.GreaterThan, 5, 2, AlertSeverity.Critical,
            "More than 5 % of requests fail inside the service (bad input and cancelled calls do not count)."),
        Rule("HighCpu", "cpu_percent", AlertAggregation.Avg, 10, AlertComparator.GreaterThan, 90, 10, AlertSeverity.Warning,
            "A silo has used more than 90 % CPU for 10 minutes: add silos or find the hot path."),
        Rule("HighMemory", "memory_percent", AlertAggregation.Avg, 5, AlertComparator.GreaterThan, 85, 5, AlertSeverity.Critical,
            "A silo uses more than 85 % of its memory limit."),
        Rule("HighNoAnswerRate", "no_answer_percent", AlertAggregation.Avg, 30, AlertComparator.GreaterThan, 50, 15, AlertSeverity.Warning,
            "More than half of a collection's answers (of at least 20 in 30 minutes) have cited nothing for 15 minutes: people ask about what its documents do not hold, or documents went missing."),
        Rule("HighNegativeFeedback", "negative_feedback_percent", AlertAggregation.Avg, 30, AlertComparator.GreaterThan, 50, 15, AlertSeverity.Warning,
            "More than half of a collection's ratings (of at least 10 in 30 minutes) have been \"down\" for 15 minutes: read them in its query log (?rating=down)."),
        Rule("ServiceUnavailable", "heartbeat", AlertAggregation.Sum, 1, AlertComparator.LessThan, 1, 0, AlertSeverity.Critical,
            "A silo stopped reporting metrics: it is down or cut off.") with { NoDataAfter = TimeSpan.FromSeconds(30) },
    ];

    private static AlertRule Rule(string name, string metric, AlertAggregation aggregation, int windowMinutes, AlertComparator comparator,
        double threshold, int forMinutes, AlertSeverity severity, string summary) =>
        new(name, metric, aggregation, TimeSpan.FromMinutes(windowMinutes), comparator, threshold, TimeSpan.FromMinutes(forMinutes), severity,
            NoLabels, new Dictionary<string, string> { ["summary"] = summary }, TimeSpan.FromHours(4), TimeSpan.FromMinutes(2));
}
