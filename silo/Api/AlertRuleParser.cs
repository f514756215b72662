using System.Globalization;
using System.Text.Json;
using OrleansRag.Monitoring;

namespace OrleansRag.Silo.Api;

/// <summary>Reads an alert rule from JSON; every problem names its field.</summary>
public static class AlertRuleParser
{
    private static readonly HashSet<string> Fields = new(StringComparer.Ordinal)
    {
        "name", "metric", "aggregation", "window", "comparator", "threshold", "for", "severity", "labels", "annotations",
        "repeatInterval", "noDataAfter", "operation",
    };

    public static (AlertRule? Rule, string? Problem) Parse(string name, JsonElement body)
    {
        if (RagValidation.CheckId("name", name) is { } nameProblem)
        {
            return (null, nameProblem);
        }

        if (body.ValueKind != JsonValueKind.Object)
        {
            return (null, "The body must be a JSON object describing the rule.");
        }

        if (body.EnumerateObject().Select(p => p.Name).FirstOrDefault(n => !Fields.Contains(n)) is { } unknown)
        {
            return (null, $"{unknown}: not a field of an alert rule (fields: {string.Join(", ", Fields)}).");
        }

        if (body.TryGetProperty("name", out var bodyName) && bodyName.GetString() != name)
        {
            return (null, $"name: the body says '{bodyName}', the path '{name}'.");
        }

        if (!body.TryGetProperty("metric", out var metricElement) || metricElement.ValueKind != JsonValueKind.String)
        {
            return (null, "metric is required (a string).");
        }

        var metric = metricElement.GetString()!;
        if (!MetricCatalog.Metrics.TryGetValue(metric, out var known))
        {
            return (null, $"metric: unknown metric '{metric}'; known: {string.Join(", ", MetricCatalog.Metrics.Keys)}.");
        }

        string?[] problems =
        [
            Enum(body, "aggregation", AlertAggregation.Avg, out var aggregation),
            Duration(body, "window", null, positive: true, out var window),
            Comparator(body, out var comparator),
            Threshold(body, out var threshold),
            Duration(body, "for", TimeSpan.Zero, positive: false, out var @for),
            Enum(body, "severity", AlertSeverity.Warning, out var severity),
            Strings(body, "labels", out var labels),
            Strings(body, "annotations", out var annotations),
            Duration(body, "repeatInterval", TimeSpan.FromHours(4), positive: true, out var repeat),
            Duration(body, "noDataAfter", TimeSpan.Zero, positive: false, out var noData),
        ];
        if (problems.FirstOrDefault(p => p is not null) is { } problem)
        {
            return (null, problem);
        }

        string? operation = null;
        if (body.TryGetProperty("operation", out var op))
        {
            operation = op.ValueKind == JsonValueKind.String ? op.GetString() : null;
            if (operation is null || !MetricCatalog.Operations.Contains(operation) || known.PerSilo)
            {
                return (null, $"operation must be one of {string.Join(", ", MetricCatalog.Operations)}, and only for request metrics.");
            }
        }

        if (labels.Keys.Any(k => k is "alertname" or "severity" or "silo" or "alertstate" or "tenant"))
        {
            return (null, "labels: alertname, severity, silo, alertstate and tenant are set by OrleansRag.");
        }

        return (new AlertRule(name, metric, aggregation, window, comparator, threshold, @for, severity, labels, annotations, repeat, noData, operation), null);
    }

    /// <summary>"500ms", "30s", "5m", "2h", "1d" or a .NET time span ("00:05:00").</summary>
    public static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        text = text.Trim();
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text[^1] switch { 's' => (text[..^1], 1.0), 'm' => (text[..^1], 60.0), 'h' => (text[..^1], 3600.0), 'd' => (text[..^1], 86400.0), _ => (text, -1.0) };
        if (unit > 0)
        {
            return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && Math.Abs(value * unit) < 1e9
                ? TimeSpan.FromSeconds(value * unit)
                : null;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) ? span : null;
    }

    private static string? Duration(JsonElement body, string field, TimeSpan? fallback, bool positive, out TimeSpan value)
    {
        value = fallback ?? TimeSpan.Zero;
        if (!body.TryGetProperty(field, out var element))
        {
            return fallback is null ? $"{field} is required (a duration like \"5m\")." : null;
        }

        var parsed = element.ValueKind == JsonValueKind.String ? ParseDuration(element.GetString()) : null;
        if (parsed is not { } span || span < TimeSpan.Zero || (positive && span == TimeSpan.Zero))
        {
            return $"{field} must be a {(positive ? "positive" : "non-negative")} duration like \"5m\" or \"00:05:00\"; it was {element.GetRawText()}.";
        }

        value = span;
        return null;
    }

    private static string? Threshold(JsonElement body, out double value)
    {
        value = 0;
        if (!body.TryGetProperty("threshold", out var element))
        {
            return "threshold is required (a number).";
        }

        return element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out value) && double.IsFinite(value)
            ? null
            : $"threshold must be a number; it was {element.GetRawText()}.";
    }

    private static string? Comparator(JsonElement body, out AlertComparator value)
    {
        value = AlertComparator.GreaterThan;
        if (!body.TryGetProperty("comparator", out var element))
        {
            return "comparator is required: >, >=, < or <=.";
        }

        var text = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
        AlertComparator? parsed = text switch
        {
            ">" or "gt" => AlertComparator.GreaterThan,
            ">=" or "gte" => AlertComparator.GreaterOrEqual,
            "<" or "lt" => AlertComparator.LessThan,
            "<=" or "lte" => AlertComparator.LessOrEqual,
            _ => System.Enum.TryParse<AlertComparator>(text, ignoreCase: true, out var named) && !int.TryParse(text, out _) ? named : null,
        };
        if (parsed is null)
        {
            return $"comparator must be >, >=, < or <= (or {string.Join(", ", System.Enum.GetNames<AlertComparator>().Select(n => JsonNamingPolicy.CamelCase.ConvertName(n)))}); it was {element.GetRawText()}.";
        }

        value = parsed.Value;
        return null;
    }

    private static string? Enum<T>(JsonElement body, string field, T fallback, out T value)
        where T : struct, System.Enum
    {
        value = fallback;
        if (!body.TryGetProperty(field, out var element))
        {
            return null;
        }

        var text = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
        if (text is null || int.TryParse(text, out _) || !System.Enum.TryParse(text, ignoreCase: true, out value))
        {
            return $"{field} must be one of {string.Join(", ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}; it was {element.GetRawText()}.";
        }

        return null;
    }

    private static string? Strings(JsonElement body, string field, out Dictionary<string, string> value)
    {
        value = [];
        if (!body.TryGetProperty(field, out var element))
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.Object || element.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.String))
        {
            return $"{field} must be an object of strings.";
        }

        value = element.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        return null;
    }
}
