using System.ComponentModel.DataAnnotations;

namespace OrleansRag.Query.QueryLog;

/// <summary>
/// The query log (section "QueryLog"): every answer recorded with its question, timings, citations and feedback, kept for
/// <see cref="Retention"/>; in Redis in production mode, in the silo's memory in the embedded default.
/// </summary>
public sealed class QueryLogOptions
{
    public const string SectionName = "QueryLog";

    /// <summary>Off: nothing is recorded, answers still get ids, and feedback on them is refused as unknown.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long an entry (and its feedback) is kept.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// The bound on entries: in memory (the embedded default), all collections' entries together, the oldest dropped first;
    /// in Redis, each collection's.
    /// </summary>
    [Range(100, 10_000_000)]
    public int MaxEntries { get; set; } = 20_000;

    /// <summary>How long an ask waits to record its entry (a slow store never holds answers up longer).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:30")]
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(1);
}
