using System.ComponentModel.DataAnnotations;

namespace OrleansRag.Query;

/// <summary>Configuration section "Query".</summary>
public sealed class QueryOptions
{
    public const string SectionName = "Query";

    /// <summary>Answers kept per silo; 0 turns the answer cache off.</summary>
    [Range(0, 10_000_000)]
    public int AnswerCacheEntries { get; set; } = 10_000;

    /// <summary>How long a cached answer lives. Answers are keyed by collection version, so they are never stale.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan AnswerCacheTtl { get; set; } = TimeSpan.FromMinutes(10);
}
