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
/// The same sender posts signed ingestion events. One host for the class (<see cref="Fixture"/>).
/// </summary>
public sealed class AlertingEndToEndTests(AlertingEndToEndTests.Fixture fixture) : IClassFixture<AlertingEndToEndTests.Fixture>
{
    public const string WebhookSecret = "whsec-test-4f1c9a0e2b7d";

    private ConcurrentQueue<string> _logs => fixture.Logs;

    private FakeOpenAiServer _model => fixture.Model;

    private AlertReceivers _receivers => fixture.Receivers;

    private RagHostFixture _host => fixture.Host;

    /// <summary>The fake model, the receivers and the host they are configured into, started once for the class.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public ConcurrentQueue<string> Logs { get; } = new();

        public FakeOpenAiServer Model { get; private set; } = null!;

        public AlertReceivers Receivers { get; private set; } = null!;

        public RagHostFixture Host { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Model = await FakeOpenAiServer.StartAsync();
            Receivers = await AlertReceivers.StartAsync();
            Host = new AlertingHost(Model.BaseAddress, Receivers, Logs);
            await Host.InitializeAsync();
            await Host.PutAsync("alerting", "volcano", "Volcanoes erupt when magma rises through the crust. Lava flows from the vent.");
        }

        public async Task DisposeAsync()
        {
            await Host.DisposeAsync();
            await Receivers.DisposeAsync();
            await Model.DisposeAsync();
        }
    }

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
            new("Ingestion:Webhooks:0:Url", new Uri(receivers.BaseAddress, "ingestion").ToString()),
            new("Ingestion:Webhooks:0:Secret", WebhookSecret),
            new("Ingestion:Webhooks:1:Url", new Uri(receivers.BaseAddress, "ingestion-failures").ToString()),
            new("Ingestion:Webhooks:1:Secret", WebhookSecret),
            new("Ingestion:Webhooks:1:Events:0", "document.failed"),
            new("Ingestion:Webhooks:2:Url", new Uri(receivers.BaseAddress, "ingestion-flaky").ToString()),
            new("Ingestion:Webhooks:2:Secret", WebhookSecret),
            new("Ingestion:Webhooks:3:Url", new Uri(receivers.BaseAddress, "ingestion").ToString()),
            new("Ingestion:Webhooks:3:Secret", WebhookSecret),
            new("Ingestion:Webhooks:3:Tenant", "another-tenant"),
            new("Logging:LogLevel:OrleansRag", "Information"),
        ];

        protected override void Configure(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder) =>
            builder.Logging.AddProvider(new CapturingLoggerProvider(logs));
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

        // The silenced twin (the same rule, made a moment later) fires too, kept from every channel by its silence: asks
        // stay slow until its history says so, so the asks turning fast below cannot resolve it before it fired.
        var quietDeadline = DateTime.UtcNow.AddSeconds(60);
        while (!await FiredAsync("QuietSlowAsks") && DateTime.UtcNow < quietDeadline)
        {
            using var slow = await _host.Http.PostAsJsonAsync("v1/collections/alerting/ask", new { question = $"Why do volcanoes erupt? ({Guid.NewGuid():N})" });
            slow.EnsureSuccessStatusCode();
        }
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
    public async Task Ingestion_events_reach_webhooks_signed_retried_and_filtered_by_event_and_tenant()
    {
        await _host.PutAsync("hooks", "tide", "The spring tide at Corran reaches 4.2 metres.", "Tides");
        var corrupt = new ByteArrayContent("%PDF-1.7\nthis is not really a PDF at all"u8.ToArray());
        corrupt.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(ContentTypes.Pdf);
        using (var put = await _host.Http.PutAsync("v1/collections/hooks/documents/broken.pdf", corrupt))
        {
            Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        }

        (string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body) Received(string path, string documentId) =>
            _receivers.Ingestion.FirstOrDefault(e => e.Path == path && Parse(e.Body).GetProperty("documentId").GetString() == documentId);
        await WaitForAsync(() => Received("/ingestion", "tide").Body is not null && Received("/ingestion", "broken.pdf").Body is not null
            && Received("/ingestion-failures", "broken.pdf").Body is not null && Received("/ingestion-flaky", "broken.pdf").Body is not null, TimeSpan.FromSeconds(60));

        // The ready event: the document as it is served, signed with the webhook's secret over "{timestamp}.{body}".
        var (_, headers, body) = Received("/ingestion", "tide");
        var ready = Parse(body);
        Assert.Equal("document.ready", ready.GetProperty("type").GetString());
        Assert.Equal("document.ready", headers["X-OrleansRag-Event"]);
        Assert.Equal(ready.GetProperty("id").GetString(), headers["X-OrleansRag-Delivery"]);
        Assert.Equal(("default", "hooks", "ready", "Tides"), (ready.GetProperty("tenant").GetString(), ready.GetProperty("collection").GetString(),
            ready.GetProperty("status").GetString(), ready.GetProperty("title").GetString()));
        Assert.Equal(1, ready.GetProperty("chunkCount").GetInt32());
        Assert.Equal("/v1/collections/hooks/documents/tide/content", ready.GetProperty("link").GetString());
        var signature = headers["X-OrleansRag-Signature"];
        var timestamp = long.Parse(signature.Split(',')[0]["t=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - timestamp, -5, 120);
        var expected = System.Security.Cryptography.HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(WebhookSecret),
            (byte[])[.. System.Text.Encoding.UTF8.GetBytes($"{timestamp}."), .. body]);
        Assert.Equal($"t={timestamp},v1={Convert.ToHexStringLower(expected)}", signature);

        // The failed event names the reason; the failures-only webhook got it and no ready event.
        var failed = Parse(Received("/ingestion", "broken.pdf").Body);
        Assert.Equal(("document.failed", "failed"), (failed.GetProperty("type").GetString(), failed.GetProperty("status").GetString()));
        Assert.Contains("PDF", failed.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.All(_receivers.Ingestion.Where(e => e.Path == "/ingestion-failures"), e => Assert.Equal("document.failed", Parse(e.Body).GetProperty("type").GetString()));

        // A receiver that refuses the first delivery gets it again (the same delivery id), once accepted.
        Assert.True(_receivers.FlakyCalls >= 4, $"{_receivers.FlakyCalls} calls to the flaky receiver");
        Assert.Single(_receivers.Ingestion, e => e.Path == "/ingestion-flaky" && Parse(e.Body).GetProperty("documentId").GetString() == "tide");

        // Another tenant's webhook hears nothing of this tenant's documents: one event per document at /ingestion.
        Assert.Single(_receivers.Ingestion, e => e.Path == "/ingestion" && Parse(e.Body).GetProperty("documentId").GetString() == "tide");
        Assert.DoesNotContain(_logs, l => l.Contains(WebhookSecret, StringComparison.Ordinal));
    }

    private static JsonElement Parse(byte[] body) => JsonDocument.Parse(body).RootElement;

    [Fact]
    public async Task The_metrics_summary_reports_rates_latency_cache_and_every_silo()
    {
        await _host.PutAsync("alerting", "glacier", "Glaciers carve valleys as they move."); // an ingest within the window (the host is shared by the class)
        for (var i = 0; i < 4; i++)
        {
            using var ask = await _host.Http.PostAsJsonAsync("v1/collections/alerting/ask", new { question = $"Why do volcanoes erupt? ({i})" });
            ask.EnsureSuccessStatusCode();
        }

        JsonElement summary = default;
        await WaitForAsync(async () =>
        {
            summary = JsonDocument.Parse(await _host.Http.GetStringAsync("v1/metrics/summary?window=1m")).RootElement;
            return summary.GetProperty("operations").TryGetProperty("ask", out var ask) && ask.GetProperty("requests").GetInt64() >= 4
                && summary.GetProperty("operations").TryGetProperty("ingest", out var ingest) && ingest.GetProperty("requests").GetInt64() >= 1;
        }, TimeSpan.FromSeconds(15));

        var asks = summary.GetProperty("operations").GetProperty("ask");
        Assert.True(asks.GetProperty("qps").GetDouble() > 0);
        Assert.Equal(0, asks.GetProperty("errorRate").GetDouble());
        Assert.True(asks.GetProperty("avgLatencyMs").GetDouble() > 0);
        Assert.True(asks.GetProperty("p95LatencyMs").GetDouble() > 0); // (the window may hold the slow asks of another test of this class: no ratio to the average)
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

    [Fact]
    public async Task A_collection_that_answers_nothing_or_is_rated_down_fires_its_own_alert()
    {
        foreach (var (name, metric) in new[] { ("NothingFound", "no_answer_percent"), ("RatedDown", "negative_feedback_percent") })
        {
            using var created = await _host.Http.PutAsJsonAsync($"v1/alert-rules/{name}",
                new { metric, window = "1m", comparator = ">", threshold = 50, @for = "0s", severity = "warning" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        // An empty collection cites nothing: more than half of its answers (and at least the 20 the rate needs) are no-answers.
        using (var empty = await _host.Http.PutAsJsonAsync("v1/collections/alerting-empty", new { }))
        {
            Assert.True(empty.IsSuccessStatusCode);
        }

        for (var i = 0; i < OrleansRag.Monitoring.MetricCatalog.MinAnswers; i++)
        {
            using var ask = await _host.Http.PostAsJsonAsync("v1/collections/alerting-empty/ask", new { question = $"Is anything here? ({i})" });
            ask.EnsureSuccessStatusCode();
        }

        await WaitForAsync(() => FiredForAsync("NothingFound", "alerting-empty"), TimeSpan.FromSeconds(60));

        // Answers of the volcano collection, each rated down.
        _model.Default = FakeOpenAiServer.Answer("Magma rises [1].");
        for (var i = 0; i < OrleansRag.Monitoring.MetricCatalog.MinRatings; i++)
        {
            using var ask = await _host.Http.PostAsJsonAsync("v1/collections/alerting/ask", new { question = $"Why do volcanoes erupt? (rated {i})" });
            var answer = await ask.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(ask.IsSuccessStatusCode, answer.ToString());
            using var rated = await _host.Http.PostAsJsonAsync($"v1/collections/alerting/answers/{answer.GetProperty("answerId").GetString()}/feedback", new { rating = "down" });
            Assert.Equal(HttpStatusCode.NoContent, rated.StatusCode);
        }

        await WaitForAsync(() => FiredForAsync("RatedDown", "alerting"), TimeSpan.FromSeconds(60));

        // /metrics, which needs no key, names no collection.
        var exposition = await _host.Http.GetStringAsync("metrics");
        Assert.Contains("orleansrag_answers", exposition, StringComparison.Ordinal);
        Assert.DoesNotContain("alerting-empty", exposition, StringComparison.Ordinal);
        Assert.False(await FiredForAsync("NothingFound", "alerting"), "the volcano collection answers");
    }

    /// <summary>Whether the rule fired for the collection (its alert labelled collection = tenant/collection).</summary>
    private async Task<bool> FiredForAsync(string rule, string collection)
    {
        using var history = JsonDocument.Parse(await _host.Http.GetStringAsync("v1/alerts/history?limit=100"));
        return history.RootElement.GetProperty("history").EnumerateArray().Any(a =>
            a.GetProperty("rule").GetString() == rule && a.GetProperty("state").GetString() == "firing"
            && a.GetProperty("labels").GetProperty("collection").GetString() == $"{RagConstants.DefaultTenant}/{collection}");
    }

    /// <summary>Whether the alert history shows <paramref name="rule"/> firing.</summary>
    private async Task<bool> FiredAsync(string rule)
    {
        using var history = JsonDocument.Parse(await _host.Http.GetStringAsync("v1/alerts/history?limit=50"));
        return history.RootElement.GetProperty("history").EnumerateArray()
            .Any(a => a.GetProperty("rule").GetString() == rule && a.GetProperty("state").GetString() == "firing");
    }

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
