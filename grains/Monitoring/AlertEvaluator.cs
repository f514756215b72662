namespace OrleansRag.Monitoring;

/// <summary>The state of one series of one rule (persisted with the rule).</summary>
[GenerateSerializer, Alias("OrleansRag.Monitoring.SeriesState")]
public sealed class SeriesState
{
    [Id(0)]
    public Dictionary<string, string> Labels { get; set; } = [];

    [Id(1)]
    public AlertState State { get; set; } = AlertState.Inactive;

    /// <summary>When the condition (or the missing data) began: pending or no-data since.</summary>
    [Id(2)]
    public DateTimeOffset? ActiveSince { get; set; }

    /// <summary>When it started firing.</summary>
    [Id(3)]
    public DateTimeOffset? FiringSince { get; set; }

    [Id(4)]
    public DateTimeOffset? EndedAt { get; set; }

    [Id(5)]
    public double? Value { get; set; }

    /// <summary>The alert is (or, once resolved, was) about missing data.</summary>
    [Id(6)]
    public bool NoData { get; set; }
}

/// <summary>
/// Prometheus-style rule evaluation, a pure function of the rule, its series' states, the metric's current values
/// and the time: inactive -> pending (condition true) -> firing (true for <see cref="AlertRule.For"/>) -> resolved
/// (false again); a series whose data stopped for <see cref="AlertRule.NoDataAfter"/> is "no data" (an alert of
/// its own, which is how a silo that is gone is noticed).
/// </summary>
public static class AlertEvaluator
{
    /// <summary>Updates <paramref name="states"/> and returns the alerts whose state changed (pending included).</summary>
    public static List<Alert> Evaluate(AlertRule rule, Dictionary<string, SeriesState> states, IReadOnlyList<SeriesValue> values, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(states);
        ArgumentNullException.ThrowIfNull(values);
        var changed = new List<Alert>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var series in values)
        {
            var key = SeriesKey(series.Labels);
            seen.Add(key);
            if (!states.TryGetValue(key, out var state))
            {
                states[key] = state = new SeriesState { Labels = new Dictionary<string, string>(series.Labels) };
            }

            var before = state.State;
            state.Value = series.Value;
            var noData = rule.NoDataAfter > TimeSpan.Zero && now - series.LastSeen > rule.NoDataAfter;
            if (noData)
            {
                if (state.State != AlertState.NoData)
                {
                    state.State = AlertState.NoData;
                    state.NoData = true;
                    state.ActiveSince = series.LastSeen;
                    state.FiringSince = now;
                    state.EndedAt = null;
                }
            }
            else if (series.Value is { } value && Holds(rule.Comparator, value, rule.Threshold))
            {
                switch (state.State)
                {
                    case AlertState.Inactive or AlertState.Resolved:
                        state.ActiveSince = now;
                        state.EndedAt = null;
                        state.NoData = false;
                        state.State = rule.For <= TimeSpan.Zero ? AlertState.Firing : AlertState.Pending;
                        state.FiringSince = state.State == AlertState.Firing ? now : null;
                        break;
                    case AlertState.Pending when now - state.ActiveSince >= rule.For:
                        state.State = AlertState.Firing;
                        state.FiringSince = now;
                        break;
                    case AlertState.NoData:
                        Resolve(state, now); // data is back; the condition is judged afresh next time
                        break;
                }
            }
            else
            {
                switch (state.State)
                {
                    case AlertState.Pending:
                        state.State = AlertState.Inactive;
                        state.ActiveSince = null;
                        break;
                    case AlertState.Firing or AlertState.NoData:
                        Resolve(state, now);
                        break;
                    case AlertState.Resolved:
                        state.State = AlertState.Inactive;
                        break;
                }
            }

            if (state.State != before && !(before == AlertState.Resolved && state.State == AlertState.Inactive))
            {
                changed.Add(ToAlert(rule, state));
            }
        }

        // Series that are gone altogether (a silo forgotten after a clean shutdown) end.
        foreach (var (key, state) in states.Where(pair => !seen.Contains(pair.Key)).ToArray())
        {
            if (state.State is AlertState.Firing or AlertState.NoData)
            {
                Resolve(state, now);
                changed.Add(ToAlert(rule, state));
            }

            states.Remove(key);
        }

        return changed;
    }

    /// <summary>The alerts of the rule that are pending, firing or without data.</summary>
    public static Alert[] Active(AlertRule rule, Dictionary<string, SeriesState> states) =>
        [.. states.Values.Where(s => s.State is AlertState.Pending or AlertState.Firing or AlertState.NoData).Select(s => ToAlert(rule, s))];

    public static Alert ToAlert(AlertRule rule, SeriesState state)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(state);
        var labels = new Dictionary<string, string>(rule.Labels, StringComparer.Ordinal)
        {
            ["alertname"] = rule.Name,
            ["severity"] = rule.Severity.ToString().ToLowerInvariant(),
        };
        foreach (var (key, value) in state.Labels)
        {
            labels[key] = value;
        }

        if (state.NoData)
        {
            labels["alertstate"] = "nodata";
        }

        var annotations = new Dictionary<string, string>(rule.Annotations, StringComparer.Ordinal)
        {
            ["value"] = state.Value?.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) ?? "no data",
        };
        return new Alert(rule.Name, state.State, labels, annotations, state.ActiveSince, state.FiringSince, state.EndedAt, state.Value, rule.RepeatInterval);
    }

    public static bool Holds(AlertComparator comparator, double value, double threshold) => comparator switch
    {
        AlertComparator.GreaterThan => value > threshold,
        AlertComparator.GreaterOrEqual => value >= threshold,
        AlertComparator.LessThan => value < threshold,
        _ => value <= threshold,
    };

    public static string SeriesKey(IReadOnlyDictionary<string, string> labels) =>
        string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));

    private static void Resolve(SeriesState state, DateTimeOffset now)
    {
        state.State = AlertState.Resolved;
        state.EndedAt = now;
    }
}
