namespace OrleansRag.Monitoring;

/// <summary>
/// Alertmanager-style notification logic for one group of alerts, a pure function of what arrives and the time:
/// de-duplication (the same firing alerts are sent once), a group interval (at most one notification per interval;
/// changes in between travel together, so a flapping metric cannot cause a storm), repeat intervals for alerts
/// that keep firing, "resolved" only for alerts that were notified as firing, and silences.
/// </summary>
public sealed class NotificationGroup(TimeSpan groupInterval)
{
    private static readonly TimeSpan DefaultRepeat = TimeSpan.FromHours(4);
    private readonly Dictionary<string, Alert> _firing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Alert> _resolved = new(StringComparer.Ordinal);
    private HashSet<string> _notified = new(StringComparer.Ordinal);
    private DateTimeOffset? _lastSent;
    private bool _changed;

    public bool IsEmpty => _firing.Count == 0 && _resolved.Count == 0;

    public void Add(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var fingerprint = Fingerprint(alert.Labels);
        if (alert.State is AlertState.Firing or AlertState.NoData)
        {
            _changed |= !_firing.ContainsKey(fingerprint) || _resolved.Remove(fingerprint);
            _firing[fingerprint] = alert;
        }
        else if (alert.State == AlertState.Resolved && _firing.Remove(fingerprint) && _notified.Contains(fingerprint))
        {
            _resolved[fingerprint] = alert;
            _changed = true;
        }
    }

    /// <summary>Whether <see cref="TakeDue"/> may send anything now (so callers fetch silences only then).</summary>
    public bool IsDue(DateTimeOffset now) => (_changed && (_lastSent is null || now - _lastSent >= groupInterval)) || RepeatDue(now);

    /// <summary>The alerts to send now (firing first, then resolved), or an empty list.</summary>
    public IReadOnlyList<Alert> TakeDue(DateTimeOffset now, Func<Alert, bool> silenced)
    {
        ArgumentNullException.ThrowIfNull(silenced);
        var repeatDue = RepeatDue(now);
        if (!IsDue(now))
        {
            return [];
        }

        _changed = false;
        var firing = _firing.Where(pair => !silenced(pair.Value)).ToList();
        var resolved = _resolved.Values.Where(alert => !silenced(alert)).ToList();
        _resolved.Clear();
        var stillNotified = firing.Select(pair => pair.Key).ToHashSet(StringComparer.Ordinal);
        if (firing.Count == 0 && resolved.Count == 0)
        {
            _notified = stillNotified;
            return [];
        }

        // Unchanged and only repeating: the same firing set as last time goes out again only after the repeat interval.
        if (!repeatDue && resolved.Count == 0 && stillNotified.SetEquals(_notified))
        {
            return [];
        }

        _notified = stillNotified;
        _lastSent = now;
        return [.. firing.Select(pair => pair.Value), .. resolved];
    }

    private bool RepeatDue(DateTimeOffset now)
    {
        var repeat = _firing.Values.Select(a => a.RepeatInterval).Where(r => r > TimeSpan.Zero).DefaultIfEmpty(DefaultRepeat).Min();
        return _firing.Count > 0 && _lastSent is { } last && now - last >= repeat;
    }

    public static string Fingerprint(IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
    }
}
