using System.Text.Json;

namespace OrleansRag.Silo.Api;

/// <summary>Body of PUT /v1/collections/{collection}/documents/{id}.</summary>
public sealed record PutDocumentRequest(string? Text, string? Title, string? ContentType, Dictionary<string, MetadataValue>? Metadata);

/// <summary>What search and ask bodies have in common.</summary>
public interface IQueryRequest
{
    /// <summary>The query or question.</summary>
    string? Text { get; }

    JsonElement? Filter { get; }

    SearchOptions Options(MetadataFilter? filter);
}

/// <summary>Body of POST .../search.</summary>
public sealed record SearchRequest(string? Query, int? TopK, SearchMode? Mode, bool? PerDocument, int? RrfK, JsonElement? Filter, bool? Rerank = null,
    SearchFusion? Fusion = null, double? DenseWeight = null) : IQueryRequest
{
    string? IQueryRequest.Text => Query;

    public SearchOptions Options(MetadataFilter? filter) =>
        new(TopK ?? RagConstants.DefaultTopK, Mode ?? SearchMode.Dense, PerDocument ?? false, RrfK ?? SearchOptions.DefaultRrfK, filter, Rerank,
            Fusion ?? SearchFusion.Score, DenseWeight);
}

/// <summary>Body of POST .../ask (sources ranked hybrid by default).</summary>
public sealed record AskRequest(string? Question, int? TopK, SearchMode? Mode, int? RrfK, JsonElement? Filter, bool? Stream, bool? Rerank = null,
    SearchFusion? Fusion = null, double? DenseWeight = null) : IQueryRequest
{
    string? IQueryRequest.Text => Question;

    public SearchOptions Options(MetadataFilter? filter) =>
        new(TopK ?? RagConstants.DefaultTopK, Mode ?? SearchMode.Hybrid, false, RrfK ?? SearchOptions.DefaultRrfK, filter, Rerank,
            Fusion ?? SearchFusion.Score, DenseWeight);
}

/// <summary>Body of PUT /v1/collections/{collection}; embeddingModel names one of the models the cluster serves (default: the silo's).</summary>
public sealed record CreateCollectionRequest(int? ShardCount, int? ChunkTokens, int? ChunkOverlapTokens, string? EmbeddingModel = null, bool? Rerank = null);

/// <summary>GET /v1/collections/{collection}/documents.</summary>
public sealed record DocumentListResponse(string Collection, int Count, IReadOnlyList<DocumentSummary> Documents);

/// <summary>
/// Body of PUT /v1/alert-rules/{name} and POST /v1/alert-rules, as the OpenAPI document describes it
/// (<see cref="AlertRuleParser"/> reads it; durations are strings like "5m" or "00:05:00", the comparator one of
/// &gt;, &gt;=, &lt;, &lt;=).
/// </summary>
public sealed record AlertRuleBody(
    string? Name, string Metric, Monitoring.AlertAggregation? Aggregation, string Window, string Comparator, double Threshold, string? For,
    Monitoring.AlertSeverity? Severity, Dictionary<string, string>? Labels, Dictionary<string, string>? Annotations, string? RepeatInterval,
    string? NoDataAfter, string? Operation);

/// <summary>Body of POST /v1/silences: label matchers, and a duration ("2h") or an end time.</summary>
public sealed record SilenceBody(Dictionary<string, string> Matchers, string? Duration, DateTimeOffset? EndsAt, string? Comment);

/// <summary>GET /v1/alerts.</summary>
public sealed record ActiveAlerts(IReadOnlyList<Monitoring.Alert> Active);

/// <summary>GET /v1/alerts/history.</summary>
public sealed record AlertHistory(IReadOnlyList<Monitoring.Alert> History);
