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
public sealed record SearchRequest(string? Query, int? TopK, SearchMode? Mode, bool? PerDocument, int? RrfK, JsonElement? Filter) : IQueryRequest
{
    string? IQueryRequest.Text => Query;

    public SearchOptions Options(MetadataFilter? filter) =>
        new(TopK ?? RagConstants.DefaultTopK, Mode ?? SearchMode.Dense, PerDocument ?? false, RrfK ?? SearchOptions.DefaultRrfK, filter);
}

/// <summary>Body of POST .../ask (sources ranked hybrid by default).</summary>
public sealed record AskRequest(string? Question, int? TopK, SearchMode? Mode, int? RrfK, JsonElement? Filter, bool? Stream) : IQueryRequest
{
    string? IQueryRequest.Text => Question;

    public SearchOptions Options(MetadataFilter? filter) =>
        new(TopK ?? RagConstants.DefaultTopK, Mode ?? SearchMode.Hybrid, false, RrfK ?? SearchOptions.DefaultRrfK, filter);
}

/// <summary>Body of PUT /v1/collections/{collection}.</summary>
public sealed record CreateCollectionRequest(int? ShardCount, int? ChunkTokens, int? ChunkOverlapTokens);

/// <summary>GET /v1/collections/{collection}/documents.</summary>
public sealed record DocumentListResponse(string Collection, int Count, IReadOnlyList<DocumentSummary> Documents);
