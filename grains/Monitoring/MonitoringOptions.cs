using System.ComponentModel.DataAnnotations;

namespace OrleansRag.Monitoring;

/// <summary>Configuration section "Monitoring": the silos' metric aggregates.</summary>
public sealed class MonitoringOptions
{
    public const string SectionName = "Monitoring";

    /// <summary>Publish one aggregate per silo per interval on the metrics stream.</summary>
    public bool Enabled { get; set; } = true;

    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How much history the metrics grain keeps (summaries and rule windows reach back this far).</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromMinutes(30);
}
