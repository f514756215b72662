using System.Text.Json;

namespace OrleansRag.Silo.Api;

/// <summary>Body of PUT /v1/collections/{collection}/documents/{id}.</summary>
public sealed record PutDocumentRequest(string? Text, string? Title, string? ContentType, Dictionary<string, JsonElement>? Metadata);

/// <summary>Body of POST .../search.</summary>
public sealed record SearchRequest(string? Query, int? TopK);

/// <summary>Body of POST .../ask.</summary>
public sealed record AskRequest(string? Question, int? TopK);

/// <summary>GET /v1/collections/{collection}/documents.</summary>
public sealed record DocumentListResponse(string Collection, int Count, IReadOnlyList<DocumentSummary> Documents);
