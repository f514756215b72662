using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using Polly;
using Polly.Retry;

namespace OrleansRag.Monitoring;

/// <summary>
/// Delivers notifications to every configured channel: Alertmanager-shaped webhooks, Slack-compatible webhooks and
/// e-mail over SMTP (MailKit; STARTTLS whenever offered, authentication when configured), and the signed webhooks of
/// ingestion events (<see cref="Post"/>). Each delivery is sent in the background with retries and exponential backoff
/// (<see cref="AlertingOptions.MaxAttempts"/>, <see cref="AlertingOptions.RetryBaseDelay"/>), so a failing receiver never
/// blocks the caller or the other receivers; give-ups are logged and counted (<c>orleansrag.alerts.notifications</c>,
/// <c>orleansrag.ingestion.webhooks</c> with outcome=failed).
/// </summary>
public sealed partial class NotificationSender : IDisposable
{
    private readonly AlertingOptions _options;
    private readonly ILogger<NotificationSender> _logger;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly ResiliencePipeline _retry;
    private readonly Counter<long> _notifications;
    private readonly Counter<long> _webhooks;

    public NotificationSender(IOptions<AlertingOptions> options, RagInstruments instruments, ILogger<NotificationSender> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(instruments);
        _options = options.Value;
        _logger = logger;
        _retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(0, _options.MaxAttempts - 1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.RetryBaseDelay,
                // A receiver that does not answer in time (the HTTP client's timeout surfaces as a cancellation) is tried again too.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e
                    && !(e is OperationCanceledException && args.Context.CancellationToken.IsCancellationRequested)),
            })
            .Build();
        _notifications = instruments.Meter.CreateCounter<long>("orleansrag.alerts.notifications", "{notification}", "Alert notifications by channel and outcome (sent, failed).");
        _webhooks = instruments.Meter.CreateCounter<long>("orleansrag.ingestion.webhooks", "{event}", "Ingestion events delivered to webhooks, by event type and outcome (sent, failed).");
    }

    /// <summary>
    /// Starts posting <paramref name="body"/> (JSON) with <paramref name="headers"/> to <paramref name="url"/> in the
    /// background, retried with backoff until a 2xx or the attempts run out; returns at once.
    /// </summary>
    public void Post(string eventType, string url, byte[] body, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        Deliver(_webhooks, new("type", eventType), Redact(url), async token =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            using var response = await _http.SendAsync(request, token).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
        });
    }

    /// <summary>Starts delivering one notification of group <paramref name="groupKey"/> to every channel; returns at once.</summary>
    public void Dispatch(string groupKey, IReadOnlyList<Alert> alerts)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        foreach (var webhook in _options.Webhooks)
        {
            var kind = webhook.Format == WebhookFormat.Slack ? "slack" : "webhook";
            object payload = webhook.Format == WebhookFormat.Slack ? new { text = Text(alerts) } : AlertmanagerPayload(groupKey, alerts);
            Deliver(_notifications, new("channel", kind), Redact(webhook.Url), token => PostAsync(webhook.Url, payload, token));
        }

        if (_options.Email.Enabled)
        {
            Deliver(_notifications, new("channel", "email"), _options.Email.Host!, token => MailAsync(alerts, token));
        }
    }

    public void Dispose()
    {
        _http.Dispose();
    }

    /// <summary>The body Prometheus Alertmanager's webhook receiver sends (version 4).</summary>
    public static object AlertmanagerPayload(string groupKey, IReadOnlyList<Alert> alerts)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        var firing = alerts.Any(a => a.State != AlertState.Resolved);
        var common = alerts.Select(a => a.Labels).Aggregate((IEnumerable<KeyValuePair<string, string>>)alerts[0].Labels, (acc, labels) => acc.Intersect(labels))
            .ToDictionary(p => p.Key, p => p.Value);
        return new
        {
            version = "4",
            groupKey,
            status = firing ? "firing" : "resolved",
            receiver = "orleansrag",
            groupLabels = groupKey.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : ""),
            commonLabels = common,
            commonAnnotations = new Dictionary<string, string>(),
            externalURL = "",
            truncatedAlerts = 0,
            alerts = alerts.Select(a => new
            {
                status = a.State == AlertState.Resolved ? "resolved" : "firing",
                labels = a.Labels,
                annotations = a.Annotations,
                startsAt = a.StartsAt ?? a.ActiveSince ?? DateTimeOffset.UnixEpoch,
                endsAt = a.EndsAt ?? new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.Zero),
                fingerprint = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(NotificationGroup.Fingerprint(a.Labels))))[..16],
            }).ToArray(),
        };
    }

    /// <summary>One human-readable text: "[FIRING:2] HighCpu (warning)" and a line per alert.</summary>
    public static string Text(IReadOnlyList<Alert> alerts)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        var firing = alerts.Count(a => a.State != AlertState.Resolved);
        var head = firing > 0 ? $"[FIRING:{firing}]" : $"[RESOLVED:{alerts.Count}]";
        var builder = new StringBuilder($"{head} {string.Join(", ", alerts.Select(a => a.Rule).Distinct())}\n");
        foreach (var alert in alerts)
        {
            var labels = string.Join(" ", alert.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
            var summary = alert.Annotations.GetValueOrDefault("summary", "");
            builder.Append(CultureInfo.InvariantCulture, $"- {(alert.State == AlertState.Resolved ? "resolved" : "firing")}: {summary} value={alert.Annotations.GetValueOrDefault("value", "")} {labels}\n");
        }

        return builder.ToString();
    }

    /// <summary>Sends in the background with the retry pipeline; the outcome is counted on <paramref name="counter"/> with <paramref name="tag"/>.</summary>
    private void Deliver(Counter<long> counter, KeyValuePair<string, object?> tag, string target, Func<CancellationToken, Task> send) =>
        _ = Task.Run(async () =>
        {
            try
            {
                await _retry.ExecuteAsync(async token => await send(token).ConfigureAwait(false), CancellationToken.None).ConfigureAwait(false);
                counter.Add(1, tag, new KeyValuePair<string, object?>("outcome", "sent"));
            }
            catch (Exception exception)
            {
                counter.Add(1, tag, new KeyValuePair<string, object?>("outcome", "failed"));
                LogGaveUp(tag.Key == "channel" ? tag.Value?.ToString() ?? "" : $"ingestion webhook ({tag.Value})", target, _options.MaxAttempts, exception.Message);
            }
        });

    private async Task PostAsync(string url, object payload, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync(url, payload, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    private async Task MailAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        var email = _options.Email;
        using var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(email.From));
        foreach (var to in email.To)
        {
            message.To.Add(MailboxAddress.Parse(to));
        }

        var text = Text(alerts);
        message.Subject = text.Split('\n')[0];
        message.Body = new TextPart("plain") { Text = text };

        using var smtp = new SmtpClient { Timeout = 10_000 };
        if (email.ServerCertificateThumbprint is { } pinned)
        {
            smtp.ServerCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == System.Net.Security.SslPolicyErrors.None
                || (certificate is not null && string.Equals(Convert.ToHexString(certificate.GetCertHash()), pinned.Replace(":", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase));
        }

        var security = email.RequireTls ? SecureSocketOptions.StartTls : SecureSocketOptions.StartTlsWhenAvailable;
        await smtp.ConnectAsync(email.Host!, email.Port, email.Port == 465 ? SecureSocketOptions.SslOnConnect : security, cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(email.Username))
        {
            await smtp.AuthenticateAsync(email.Username, email.Password ?? "", cancellationToken).ConfigureAwait(false);
        }

        await smtp.SendAsync(message, cancellationToken).ConfigureAwait(false);
        await smtp.DisconnectAsync(quit: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Webhook URLs can carry tokens (Slack's do): logs show scheme, host and port only.</summary>
    private static string Redact(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Authority}/…" : "(invalid URL)";

    [LoggerMessage(Level = LogLevel.Error, Message = "Notification via {Channel} to {Target} gave up after {Attempts} attempts: {Reason}")]
    private partial void LogGaveUp(string channel, string target, int attempts, string reason);
}
