using System.ComponentModel.DataAnnotations;

namespace OrleansRag.Monitoring;

/// <summary>Configuration section "Alerting": evaluation, grouping and the notification channels.</summary>
public sealed class AlertingOptions
{
    public const string SectionName = "Alerting";

    public bool Enabled { get; set; } = true;

    /// <summary>How often every rule is evaluated.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often every silo wakes all rules (a rule whose silo died is activated again within this time).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan WatchdogInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Create the default rules (latency, errors, cache, CPU, memory, silo gone) on first start.</summary>
    public bool DefaultRules { get; set; } = true;

    /// <summary>Alerts with the same values of these labels are sent together.</summary>
    public IList<string> GroupBy { get; } = [];

    /// <summary>The least time between two notifications of one group (changes in between are sent together).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan GroupInterval { get; set; } = TimeSpan.FromSeconds(30);

    public IList<WebhookChannel> Webhooks { get; } = [];

    public EmailChannel Email { get; set; } = new();

    /// <summary>Attempts per notification and channel (with exponential backoff) before giving up.</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 4;

    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    public IReadOnlyList<string> GroupLabels => GroupBy.Count > 0 ? [.. GroupBy] : ["alertname"];
}

public enum WebhookFormat
{
    /// <summary>Prometheus Alertmanager's webhook payload.</summary>
    Alertmanager,

    /// <summary>A Slack-compatible incoming webhook ({"text": …}).</summary>
    Slack,
}

public sealed class WebhookChannel
{
    public string Url { get; set; } = "";

    public WebhookFormat Format { get; set; } = WebhookFormat.Alertmanager;
}

/// <summary>E-mail over SMTP (MailKit): STARTTLS whenever the server offers it; credentials from configuration.</summary>
public sealed class EmailChannel
{
    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    public string? Username { get; set; }

    /// <summary>From configuration or the environment (Alerting__Email__Password); never logged.</summary>
    public string? Password { get; set; }

    public string From { get; set; } = "orleansrag@localhost";

    public IList<string> To { get; } = [];

    /// <summary>Refuse to send without TLS (no plain-text fallback when the server offers no STARTTLS).</summary>
    public bool RequireTls { get; set; }

    /// <summary>Accept the server's certificate by this SHA-1 thumbprint (a self-signed internal relay).</summary>
    public string? ServerCertificateThumbprint { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(Host) && To.Count > 0;
}
