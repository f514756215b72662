using Microsoft.Extensions.Time.Testing;
using OrleansRag.Monitoring;

namespace OrleansRag.Tests.Monitoring;

/// <summary>
/// Rule evaluation and notification grouping, step by step under a fake clock: the Prometheus-like state machine
/// (inactive, pending, firing, resolved, no data), de-duplication, repeat and group intervals, silences, flapping.
/// </summary>
[Trait("Category", "Unit")]
public sealed class AlertEvaluationTests
{
    private static readonly Dictionary<string, string> Cluster = [];
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    private static AlertRule Rule(TimeSpan @for, TimeSpan? noDataAfter = null) => new(
        "SlowAsks", "request_latency_seconds", AlertAggregation.Avg, TimeSpan.FromMinutes(1), AlertComparator.GreaterThan, 1.0, @for,
        AlertSeverity.Critical, new Dictionary<string, string> { ["team"] = "search" }, new Dictionary<string, string> { ["summary"] = "slow" },
        TimeSpan.FromMinutes(10), noDataAfter ?? TimeSpan.Zero);

    private SeriesValue[] Value(double? value, Dictionary<string, string>? labels = null) => [new(labels ?? Cluster, value, _clock.GetUtcNow())];

    private List<Alert> Step(AlertRule rule, Dictionary<string, SeriesState> states, SeriesValue[] values, TimeSpan advance)
    {
        _clock.Advance(advance);
        return AlertEvaluator.Evaluate(rule, states, values, _clock.GetUtcNow());
    }

    [Fact]
    public void A_condition_goes_pending_then_firing_after_for_then_resolved()
    {
        var rule = Rule(TimeSpan.FromSeconds(30));
        var states = new Dictionary<string, SeriesState>();

        Assert.Empty(Step(rule, states, Value(0.5), TimeSpan.Zero)); // below the threshold: inactive, nothing changes
        var pending = Assert.Single(Step(rule, states, Value(2.0), TimeSpan.FromSeconds(5)));
        Assert.Equal(AlertState.Pending, pending.State);
        Assert.Empty(Step(rule, states, Value(2.5), TimeSpan.FromSeconds(20))); // 20 s < for: still pending
        var firing = Assert.Single(Step(rule, states, Value(3.0), TimeSpan.FromSeconds(10)));
        Assert.Equal(AlertState.Firing, firing.State);
        Assert.Equal(_clock.GetUtcNow(), firing.StartsAt);
        Assert.Equal(("SlowAsks", "critical", "search"), (firing.Labels["alertname"], firing.Labels["severity"], firing.Labels["team"]));
        Assert.Equal("3", firing.Annotations["value"]);
        Assert.Empty(Step(rule, states, Value(3.0), TimeSpan.FromSeconds(5))); // stays firing

        var resolved = Assert.Single(Step(rule, states, Value(0.2), TimeSpan.FromSeconds(5)));
        Assert.Equal(AlertState.Resolved, resolved.State);
        Assert.Equal(_clock.GetUtcNow(), resolved.EndsAt);
        Assert.Empty(Step(rule, states, Value(0.2), TimeSpan.FromSeconds(5))); // resolved -> inactive is quiet
        Assert.Equal(AlertState.Inactive, states.Single().Value.State);
    }

    [Fact]
    public void A_condition_that_clears_while_pending_never_fires()
    {
        var rule = Rule(TimeSpan.FromSeconds(30));
        var states = new Dictionary<string, SeriesState>();
        Assert.Equal(AlertState.Pending, Assert.Single(Step(rule, states, Value(2.0), TimeSpan.Zero)).State);
        Assert.Equal(AlertState.Inactive, Assert.Single(Step(rule, states, Value(0.5), TimeSpan.FromSeconds(20))).State);
        Assert.Equal(AlertState.Pending, Assert.Single(Step(rule, states, Value(2.0), TimeSpan.FromSeconds(20))).State);
        Assert.Empty(Step(rule, states, Value(2.0), TimeSpan.FromSeconds(20))); // the clock restarted at the new pending
    }

    [Fact]
    public void Without_for_it_fires_at_once_and_a_missing_value_counts_as_not_holding()
    {
        var rule = Rule(TimeSpan.Zero);
        var states = new Dictionary<string, SeriesState>();
        Assert.Equal(AlertState.Firing, Assert.Single(Step(rule, states, Value(5), TimeSpan.Zero)).State);
        Assert.Equal(AlertState.Resolved, Assert.Single(Step(rule, states, Value(null), TimeSpan.FromSeconds(1))).State);
    }

    [Fact]
    public void A_series_whose_data_stops_raises_no_data_and_resolves_when_data_returns()
    {
        var rule = Rule(TimeSpan.Zero, noDataAfter: TimeSpan.FromSeconds(30)) with { Metric = "heartbeat", Comparator = AlertComparator.LessThan, Threshold = 1 };
        var states = new Dictionary<string, SeriesState>();
        var silo = new Dictionary<string, string> { ["silo"] = "10.0.0.7:11111@1" };
        Assert.Empty(Step(rule, states, Value(3, silo), TimeSpan.Zero));

        var lastSeen = _clock.GetUtcNow();
        Assert.Empty(Step(rule, states, [new(silo, null, lastSeen)], TimeSpan.FromSeconds(20))); // quiet for 20 s: not yet
        var noData = Assert.Single(Step(rule, states, [new(silo, null, lastSeen)], TimeSpan.FromSeconds(15)));
        Assert.Equal(AlertState.NoData, noData.State);
        Assert.Equal(("nodata", "10.0.0.7:11111@1"), (noData.Labels["alertstate"], noData.Labels["silo"]));
        Assert.Equal(lastSeen, noData.ActiveSince);

        var back = Assert.Single(Step(rule, states, Value(2, silo), TimeSpan.FromSeconds(5)));
        Assert.Equal(AlertState.Resolved, back.State);
        Assert.Equal("nodata", back.Labels["alertstate"]); // the resolved alert is the same alert as the no-data one
    }

    [Fact]
    public void Notifications_are_deduplicated_repeated_grouped_and_resolved_only_when_notified()
    {
        var group = new NotificationGroup(TimeSpan.FromSeconds(30));
        var firing = FiringAlert("a");
        group.Add(firing);
        Assert.Single(group.TakeDue(_clock.GetUtcNow(), NotSilenced));

        // The same firing alert again and again: nothing new until the repeat interval (10 min).
        for (var i = 0; i < 10; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(30));
            group.Add(firing);
            Assert.Empty(group.TakeDue(_clock.GetUtcNow(), NotSilenced));
        }

        _clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Single(group.TakeDue(_clock.GetUtcNow(), NotSilenced)); // repeated after 10 min

        // A second alert of the group within the group interval waits, then both travel together.
        group.Add(FiringAlert("b"));
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(group.TakeDue(_clock.GetUtcNow(), NotSilenced));
        _clock.Advance(TimeSpan.FromSeconds(25));
        Assert.Equal(2, group.TakeDue(_clock.GetUtcNow(), NotSilenced).Count);

        // Resolved: sent once, with the still-firing alert.
        group.Add(firing with { State = AlertState.Resolved, EndsAt = _clock.GetUtcNow() });
        _clock.Advance(TimeSpan.FromSeconds(30));
        var sent = group.TakeDue(_clock.GetUtcNow(), NotSilenced);
        Assert.Equal([AlertState.Firing, AlertState.Resolved], sent.Select(a => a.State));

        // A resolved alert that was never notified sends nothing.
        var quiet = new NotificationGroup(TimeSpan.Zero);
        quiet.Add(FiringAlert("c") with { State = AlertState.Resolved });
        Assert.Empty(quiet.TakeDue(_clock.GetUtcNow(), NotSilenced));
    }

    [Fact]
    public void Silenced_alerts_send_nothing_firing_or_resolved()
    {
        var group = new NotificationGroup(TimeSpan.Zero);
        var silence = new Silence("s1", new Dictionary<string, string> { ["alertname"] = "SlowAsks" }, _clock.GetUtcNow(), _clock.GetUtcNow().AddHours(1), "k", "");
        bool Silenced(Alert alert) => silence.Matches(alert.Labels, _clock.GetUtcNow());
        var firing = FiringAlert("a");
        group.Add(firing);
        Assert.Empty(group.TakeDue(_clock.GetUtcNow(), Silenced));
        group.Add(firing with { State = AlertState.Resolved });
        Assert.Empty(group.TakeDue(_clock.GetUtcNow(), Silenced));

        // After the silence expires, a new firing is sent.
        _clock.Advance(TimeSpan.FromHours(2));
        group.Add(firing);
        Assert.Single(group.TakeDue(_clock.GetUtcNow(), Silenced));
    }

    [Fact]
    public void A_flapping_metric_sends_a_bounded_number_of_messages()
    {
        // The metric crosses the threshold every 5 s for 10 minutes. With for=30s the rule never fires; with for=0
        // it fires and resolves 120 times, and the group interval (60 s) bounds what is sent to one per minute.
        foreach (var (@for, most) in new[] { (TimeSpan.FromSeconds(30), 0), (TimeSpan.Zero, 11) })
        {
            var rule = Rule(@for);
            var states = new Dictionary<string, SeriesState>();
            var group = new NotificationGroup(TimeSpan.FromSeconds(60));
            var messages = 0;
            for (var step = 0; step < 120; step++)
            {
                var changed = Step(rule, states, Value(step % 2 == 0 ? 3.0 : 0.1), TimeSpan.FromSeconds(5));
                foreach (var alert in AlertEvaluator.Active(rule, states).Where(a => a.State == AlertState.Firing).Concat(changed.Where(a => a.State == AlertState.Resolved)))
                {
                    group.Add(alert);
                }

                messages += group.TakeDue(_clock.GetUtcNow(), NotSilenced).Count > 0 ? 1 : 0;
            }

            Assert.InRange(messages, 0, most);
        }
    }

    private static bool NotSilenced(Alert alert) => false;

    private Alert FiringAlert(string instance) => new(
        "SlowAsks", AlertState.Firing,
        new Dictionary<string, string> { ["alertname"] = "SlowAsks", ["severity"] = "critical", ["silo"] = instance },
        new Dictionary<string, string>(), _clock.GetUtcNow(), _clock.GetUtcNow(), null, 3.0, TimeSpan.FromMinutes(10));
}
