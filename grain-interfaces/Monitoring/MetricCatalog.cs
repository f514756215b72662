namespace OrleansRag.Monitoring;

/// <summary>The metrics alert rules and summaries can use, and whether each is per silo or cluster-wide.</summary>
public static class MetricCatalog
{
    /// <summary>Name -> (per silo?, description).</summary>
    public static readonly IReadOnlyDictionary<string, (bool PerSilo, string Description)> Metrics = new Dictionary<string, (bool, string)>(StringComparer.Ordinal)
    {
        ["request_latency_seconds"] = (false, "request latency (avg, min, max, p95 from the histogram; sum; rate = requests/s); optional operation"),
        ["requests"] = (false, "requests (sum; rate = requests/s); optional operation"),
        ["errors"] = (false, "failed requests (sum; rate = errors/s); optional operation"),
        ["error_percent"] = (false, "failed requests as % of requests over the window; optional operation"),
        ["cache_hit_percent"] = (false, "answer-cache hits as % of lookups over the window"),
        ["generation_fallback_percent"] = (false, "extractive fallbacks as % of language-model calls"),
        ["embedding_texts"] = (false, "texts embedded (sum; rate = texts/s)"),
        ["cpu_percent"] = (true, "process CPU, % of all cores"),
        ["memory_percent"] = (true, "working set, % of the memory limit"),
        ["working_set_bytes"] = (true, "working set in bytes"),
        ["embedding_queue_length"] = (true, "texts waiting for the embedding model"),
        ["threadpool_queue_length"] = (true, "work items waiting for the thread pool"),
        ["gc_collections"] = (true, "garbage collections (sum; rate = collections/s)"),
        ["heartbeat"] = (true, "metric snapshots received from the silo (sum; rate); stops when the silo is gone"),
        ["no_answer_percent"] = (false, $"per collection (label collection = tenant/collection): answers that cited nothing, as % of its answers over the window; no value under {MinAnswers} answers"),
        ["negative_feedback_percent"] = (false, $"per collection (label collection = tenant/collection): answers rated down, as % of its ratings over the window; no value under {MinRatings} ratings"),
    };

    /// <summary>The label of per-collection series: "tenant/collection".</summary>
    public const string CollectionLabel = "collection";

    /// <summary>Metrics with one series per collection (label <see cref="CollectionLabel"/>) that answered in the window.</summary>
    public static readonly IReadOnlySet<string> PerCollection = new HashSet<string>(StringComparer.Ordinal) { "no_answer_percent", "negative_feedback_percent" };

    /// <summary>Answers a collection must give in the window before its no-answer rate has a value (a few misses are no trend).</summary>
    public const int MinAnswers = 20;

    /// <summary>Ratings a collection must get in the window before its negative-feedback rate has a value.</summary>
    public const int MinRatings = 10;

    public static readonly IReadOnlySet<string> Operations = new HashSet<string>(StringComparer.Ordinal) { "ingest", "search", "ask" };
}
