using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OrleansRag.Tests.Generation;
using OrleansRag.Tests.Http;

namespace OrleansRag.Tests.Monitoring;

/// <summary>
/// Alerting end to end on the real silo host: asks made slow by a slow language model (a fake OpenAI server on
/// 127.0.0.1) drive a latency rule through firing to resolved, and the real webhook, Slack and SMTP receivers get
/// the notifications with the right labels; a silenced rule and a broken channel send nothing and block nothing.
/// </summary>
public sealed class AlertingEndToEndTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<string> _logs = new();
    private FakeOpenAiServer _model = null!;
    private AlertReceivers _receivers = null!;
    private AlertingHost _host = null!;

    private sealed class AlertingHost(Uri model, AlertReceivers receivers, ConcurrentQueue<string> logs) : RagHostFixture
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [
            new("Generation:Provider", "OpenAI"),
            new("Generation:Endpoint", model.ToString()),
            new("Generation:Model", "fake-model"),
            new("Generation:ApiKey", "sk-test-not-used"),
            new("Generation:RequestTimeout", "00:00:10"),
            new("Query:AnswerCacheEntries", "0"),
            new("Monitoring:Interval", "00:00:00.500"),
            new("Alerting:EvaluationInterval", "00:00:00.500"),
            new("Alerting:GroupInterval", "00:00:01"),
            new("Alerting:DefaultRules", "false"),
            new("Alerting:MaxAttempts", "2"),
            new("Alerting:RetryBaseDelay", "00:00:00.050"),
            new("Alerting:Webhooks:0:Url", new Uri(receivers.BaseAddress, "alertmanager").ToString()),
            new("Alerting:Webhooks:1:Url", new Uri(receivers.BaseAddress, "slack").ToString()),
            new("Alerting:Webhooks:1:Format", "Slack"),
            new("Alerting:Webhooks:2:Url", new Uri(receivers.BaseAddress, "broken").ToString()),
            new("Alerting:Email:Host", "127.0.0.1"),
            new("Alerting:Email:Port", receivers.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("Alerting:Email:Username", AlertReceivers.SmtpUser),
            new("Alerting:Email:Password", AlertReceivers.SmtpPassword),
            new("Alerting:Email:RequireTls", "true"),
            new("Alerting:Email:ServerCertificateThumbprint", receivers.SmtpThumbprint),
            new("Alerting:Email:From", "orleansrag@example.test"),
            new("Alerting:Email:To:0", "oncall@example.test"),
            new("Logging:LogLevel:OrleansRag", "Information"),
        ];

        protected override void Configure(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder) =>
            builder.Logging.AddProvider(new CapturingLoggerProvider(logs));
    }

    public async Task InitializeAsync()
    {
        _model = await FakeOpenAiServer.StartAsync();
        _receivers = await AlertReceivers.StartAsync();
        _host = new AlertingHost(_model.BaseAddress, _receivers, _logs);
        await _host.InitializeAsync();
        await _host.PutAsync("alerting", "volcano", "Volcanoes erupt when magma rises through the crust. Lava flows from the vent.");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _receivers.DisposeAsync();
        await _model.DisposeAsync();
    }

    [Fact]
    public async Task Slow_asks_fire_a_latency_alert_to_webhook_slack_and_email_then_resolve_and_silences_hold()
    {
        var rule = new
        {
            metric = "request_latency_seconds",
            operation = "ask",
            aggregation = "avg",
            window = "3s",
            comparator = ">",
            threshold = 1.0,
            @for = "1s",
            severity = "critical",
            labels = new { team = "search" },
            annotations = new { summary = "Answers are slow" },
        };
        using (var created = await _host.Http.PutAsJsonAsync("v1/alert-rules/SlowAsks", rule))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var quiet = await _host.Http.PutAsJsonAsync("v1/alert-rules/QuietSlowAsks", rule))
        {
            Assert.Equal(HttpStatusCode.Created, quiet.StatusCode);
        }

        using (var silence = await _host.Http.PostAsJsonAsync("v1/silences", new { matchers = new { alertname = "QuietSlowAsks" }, duration = "1h", comment = "known" }))
        {
            Assert.Equal(HttpStatusCode.Created, silence.StatusCode);
        }

        // Slow asks (the model answers after 1.5 s) until the webhook reports SlowAsks firing.
        _model.Default = FakeOpenAiServer.Delay(TimeSpan.FromSeconds(1.5), FakeOpenAiServer.Answer("Magma rises [1]."));
        var firing = await AskUntilAsync(() => Payloads("SlowAsks", "firing").FirstOrDefault(), TimeSpan.FromSeconds(60));
        var alert = firing.GetProperty("alerts")[0];
        Assert.Equal("firing", alert.GetProperty("status").GetString());
        Assert.Equal("SlowAsks", alert.GetProperty("labels").GetProperty("alertname").GetString());
        Assert.Equal("critical", alert.GetProperty("labels").GetProperty("severity").GetString());
        Assert.Equal("search", alert.GetProperty("labels").GetProperty("team").GetString());
        Assert.Equal("Answers are slow", alert.GetProperty("annotations").GetProperty("summary").GetString());
        Assert.Equal("alertname=SlowAsks,tenant=default", firing.GetProperty("groupKey").GetString()); // a tenant's rule: grouped apart
        Assert.True(alert.GetProperty("startsAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-2));

        // The same notification on Slack and by e-mail (STARTTLS and authentication, as the server demands).
        await WaitForAsync(() => _receivers.Slack.Any(s => s.GetProperty("text").GetString()!.StartsWith("[FIRING:1] SlowAsks", StringComparison.Ordinal)), TimeSpan.FromSeconds(20));
        await WaitForAsync(() => _receivers.Mails().Any(m => m.Contains("Subject: [FIRING:1] SlowAsks", StringComparison.Ordinal)), TimeSpan.FromSeconds(30));
        var mail = _receivers.Mails().First(m => m.Contains("[FIRING:1] SlowAsks", StringComparison.Ordinal));
        Assert.StartsWith($"X-Test-Tls: yes\r\nX-Test-Auth: {AlertReceivers.SmtpUser}\r\n", mail, StringComparison.Ordinal);
        Assert.Contains("To: oncall@example.test", mail, StringComparison.Ordinal);

        // Fast asks again: the average drops below 1 s and the webhook reports it resolved.
        _model.Default = FakeOpenAiServer.Answer("Magma rises [1].");
        var resolved = await AskUntilAsync(() => Payloads("SlowAsks", "resolved").FirstOrDefault(), TimeSpan.FromSeconds(60));
        Assert.Equal("resolved", resolved.GetProperty("alerts")[0].GetProperty("status").GetString());
        Assert.True(resolved.GetProperty("alerts")[0].GetProperty("endsAt").GetDateTimeOffset() >= alert.GetProperty("startsAt").GetDateTimeOffset());

        // De-duplicated: one firing and one resolved notification, although the rule re-sent its alert every 0.5 s.
        Assert.Single(Payloads("SlowAsks", "firing"));
        Assert.Single(Payloads("SlowAsks", "resolved"));

        // The silenced rule fired too (history) but sent nothing anywhere.
        using var history = JsonDocument.Parse(await _host.Http.GetStringAsync("v1/alerts/history?limit=50"));
        var states = history.RootElement.GetProperty("history").EnumerateArray()
            .Select(a => (a.GetProperty("rule").GetString(), a.GetProperty("state").GetString())).ToList();
        Assert.Contains(("SlowAsks", "firing"), states);
        Assert.Contains(("SlowAsks", "resolved"), states);
        Assert.Contains(("QuietSlowAsks", "firing"), states);
        Assert.DoesNotContain(_receivers.Webhook, p => p.GetRawText().Contains("QuietSlowAsks", StringComparison.Ordinal));
        Assert.DoesNotContain(_receivers.Slack, p => p.GetRawText().Contains("QuietSlowAsks", StringComparison.Ordinal));
        Assert.DoesNotContain(_receivers.Mails(), m => m.Contains("QuietSlowAsks", StringComparison.Ordinal));

        // The broken channel was tried (with a retry) and given up on, without holding the others back.
        Assert.True(_receivers.BrokenCalls >= 2, $"broken channel called {_receivers.BrokenCalls} times");
        await WaitForAsync(() => _logs.Any(l => l.Contains("via webhook", StringComparison.Ordinal) && l.Contains("gave up after 2 attempts", StringComparison.Ordinal)), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(_logs, l => l.Contains(AlertReceivers.SmtpPassword, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_metrics_summary_reports_rates_latency_cache_and_every_silo()
    {
        for (var i = 0; i < 4; i++)
        {
            using var ask = await _host.Http.PostAsJsonAsync("v1/collections/alerting/ask", new { question = $"Why do volcanoes erupt? ({i})" });
            ask.EnsureSuccessStatusCode();
        }

        JsonElement summary = default;
        await WaitForAsync(async () =>
        {
            summary = JsonDocument.Parse(await _host.Http.GetStringAsync("v1/metrics/summary?window=1m")).RootElement;
            return summary.GetProperty("operations").TryGetProperty("ask", out var ask) && ask.GetProperty("requests").GetInt64() >= 4;
        }, TimeSpan.FromSeconds(15));

        var asks = summary.GetProperty("operations").GetProperty("ask");
        Assert.True(asks.GetProperty("qps").GetDouble() > 0);
        Assert.Equal(0, asks.GetProperty("errorRate").GetDouble());
        Assert.True(asks.GetProperty("avgLatencyMs").GetDouble() > 0);
        Assert.True(asks.GetProperty("p95LatencyMs").GetDouble() >= asks.GetProperty("avgLatencyMs").GetDouble() * 0.5);
        Assert.True(summary.GetProperty("operations").GetProperty("ingest").GetProperty("requests").GetInt64() >= 1);
        var silo = Assert.Single(summary.GetProperty("silos").EnumerateArray());
        Assert.InRange(silo.GetProperty("cpuPercent").GetDouble(), 0, 100);
        Assert.InRange(silo.GetProperty("memoryPercent").GetDouble(), 0.01, 100);
        Assert.True(silo.GetProperty("workingSetBytes").GetInt64() > 10_000_000);

        using var bad = await _host.Http.GetAsync("v1/metrics/summary?window=soon");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    private IEnumerable<JsonElement> Payloads(string rule, string status) => _receivers.Webhook.Where(p =>
        p.GetProperty("status").GetString() == status && p.GetProperty("alerts").EnumerateArray().Any(a => a.GetProperty("labels").GetProperty("alertname").GetString() == rule));

    /// <summary>Keeps asking distinct questions (one at a time) until <paramref name="found"/> returns a payload.</summary>
    private async Task<JsonElement> AskUntilAsync(Func<JsonElement> found, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        for (var i = 0; DateTime.UtcNow < deadline; i++)
        {
            if (found() is { ValueKind: JsonValueKind.Object } payload)
            {
                return payload;
            }

            using var ask = await _host.Http.PostAsJsonAsync("v1/collections/alerting/ask", new { question = $"Why do volcanoes erupt? ({Guid.NewGuid():N})" });
            ask.EnsureSuccessStatusCode();
        }

        throw new TimeoutException($"No matching notification within {limit}; webhook got: {string.Join(" | ", _receivers.Webhook.Select(p => p.GetRawText()))}");
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan limit) => await WaitForAsync(() => Task.FromResult(condition()), limit);

    private static Task WaitForAsync(Func<Task<bool>> condition, TimeSpan limit) =>
        Infrastructure.Eventually.WaitUntilAsync(condition, limit, "the alerting condition", TimeSpan.FromMilliseconds(200));
}
