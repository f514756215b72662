using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using OrleansRag.Ingestion.Ocr;
using Microsoft.Net.Http.Headers;
using OrleansRag.Client;
using OrleansRag.Ingestion;
using OrleansRag.Silo.Security;

namespace OrleansRag.Silo.Api;

/// <summary>
/// /v1/collections/{collection}/documents: upsert (JSON text, a file as the body, or multipart/form-data), get
/// (with the status of the latest version), delete, list (optionally by status). This edge reads HTTP (media types,
/// multipart, headers, JSON syntax, the request size); the ids are checked by the client that makes grain keys of them,
/// and what a document may be (its size included) by the document grain.
/// </summary>
public static class DocumentsApi
{
    /// <summary>Header (or query parameter <c>title</c>) naming a file's title; percent-encoded UTF-8 allowed.</summary>
    public const string TitleHeader = "X-Document-Title";

    /// <summary>Header (or query parameter <c>metadata</c>) holding a file's metadata as a JSON object.</summary>
    public const string MetadataHeader = "X-Document-Metadata";

    public static RouteGroupBuilder MapDocumentsApi(this RouteGroupBuilder v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        var documents = v1.MapGroup("/collections/{collection}/documents").WithTags("Documents");
        documents.MapPut("/{id}", PutAsync).WithName("PutDocument").RequireAuthorization(SecurityExtensions.Writer).Audited("document.upsert")
            .WithSummary("Add or replace a document: JSON text (ingested while you wait), or a file as the body or a multipart part named 'file' (202, ingested in the background)")
            .DescribesBody<PutDocumentRequest>("application/json").AddOpenApiOperationTransformer(DescribeFileBodies)
            .Produces<IngestResult>(StatusCodes.Status201Created).Produces<IngestResult>().Produces<IngestResult>(StatusCodes.Status202Accepted)
            .ProducesProblems(400, 413, 415, 503);
        documents.MapGet("/{id}", GetAsync).WithName("GetDocument").WithSummary("A document with the status of its latest version")
            .Produces<DocumentInfo>().ProducesProblems(400, 404);
        documents.MapDelete("/{id}", DeleteAsync).WithName("DeleteDocument").RequireAuthorization(SecurityExtensions.Writer).Audited("document.delete")
            .WithSummary("Delete a document").Produces(StatusCodes.Status204NoContent).ProducesProblems(400, 404);
        documents.MapGet("/{id}/content", GetContentAsync).WithName("GetDocumentContent")
            .WithSummary("The document's original file byte for byte as uploaded (JSON text as UTF-8 text) with its content type; ranges supported")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream").ProducesProblems(400, 404, 409);
        documents.MapGet("/{id}/chunks", GetChunksAsync).WithName("GetDocumentChunks")
            .WithSummary("A page of the document's chunks in order: index, text, pages, section heading and token count (offset, limit up to 1000)")
            .Produces<DocumentChunkPage>().ProducesProblems(400, 404);
        documents.MapGet("/", ListAsync).WithName("ListDocuments").WithSummary("The collection's documents, optionally only those with one status")
            .Produces<DocumentListResponse>().ProducesProblems(400);
        return v1;
    }

    /// <summary>The file formats a document PUT also takes, as the raw body or a multipart part named 'file'.</summary>
    private static Task DescribeFileBodies(Microsoft.OpenApi.OpenApiOperation operation, Microsoft.AspNetCore.OpenApi.OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (operation.RequestBody is not Microsoft.OpenApi.OpenApiRequestBody body)
        {
            operation.RequestBody = body = new Microsoft.OpenApi.OpenApiRequestBody();
        }

        var content = body.Content ??= new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>(StringComparer.Ordinal);
        foreach (var type in ContentTypes.All)
        {
            content.TryAdd(type.MediaType, new Microsoft.OpenApi.OpenApiMediaType
            {
                Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String, Format = "binary" },
            });
        }

        content.TryAdd("multipart/form-data", new Microsoft.OpenApi.OpenApiMediaType
        {
            Schema = new Microsoft.OpenApi.OpenApiSchema
            {
                Type = Microsoft.OpenApi.JsonSchemaType.Object,
                Required = new HashSet<string>(StringComparer.Ordinal) { "file" },
                Properties = new Dictionary<string, Microsoft.OpenApi.IOpenApiSchema>(StringComparer.Ordinal)
                {
                    ["file"] = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String, Format = "binary" },
                    ["title"] = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String },
                    ["metadata"] = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String, Description = "A JSON object of metadata values." },
                },
            },
        });
        return Task.CompletedTask;
    }

    /// <summary>
    /// The HTTP request limit (Kestrel and multipart) that fits the largest document: a JSON string may escape every byte
    /// (2x), plus the envelope. Bodies past it are refused as they arrive; the document limit itself is the grain's.
    /// </summary>
    public static long RequestLimit(IngestionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return (long)options.MaxDocumentBytes * 2 + 64 * 1024;
    }

    /// <summary>An image sent to a silo that cannot read images (OCR off): refused at once, with how to turn OCR on.</summary>
    private static IResult? RefuseWithoutOcr(ContentTypeInfo type, IOcrEngine ocr) =>
        type.ReadByOcr && ocr.Checked.IsCompleted && ocr.Unavailable is { } reason ? Problems.BadRequest($"Images are read by OCR. {reason}") : null;

    private static async Task<IResult> PutAsync(string collection, string id, HttpRequest request, IRagClient rag, IOcrEngine ocr, IOptions<IngestionOptions> options)
    {
        if (request.ContentType is { Length: > 0 } given && !MediaTypeHeaderValue.TryParse(given, out _))
        {
            return Problems.UnsupportedMediaType($"Content-Type '{given}' cannot be parsed; send application/json, multipart/form-data or one of: {ContentTypes.Describe()}.");
        }

        var mediaType = MediaTypeHeaderValue.TryParse(request.ContentType, out var parsed) ? parsed.MediaType.Value?.ToLowerInvariant() : null;
        var cancellationToken = request.HttpContext.RequestAborted;
        IngestResult result;
        if (mediaType is null || mediaType == "application/json" || mediaType.EndsWith("+json", StringComparison.Ordinal))
        {
            var (document, problem) = await ReadJsonDocumentAsync(request, options.Value);
            if (problem is not null)
            {
                return problem;
            }

            result = await rag.IngestAsync(collection, id, document!, cancellationToken);
        }
        else if (mediaType == "multipart/form-data")
        {
            return await PutMultipartAsync(collection, id, request, rag, ocr);
        }
        else if (ContentTypes.Find(mediaType) is { } type)
        {
            var (title, metadata, problem) = Describe(request);
            problem ??= RefuseWithoutOcr(type, ocr);
            if (problem is not null)
            {
                return problem;
            }

            // The document grain's size rule, applied to the length the body announces, so that it is refused before a
            // byte of it is sent on (a body without a length is refused by the grain at the piece that passes the limit).
            DocumentIntake.CheckSize(request.ContentLength ?? 0, options.Value.MaxDocumentBytes);
            result = await rag.IngestFileAsync(collection, id, request.Body, type.MediaType, title, metadata, cancellationToken);
        }
        else
        {
            return Problems.UnsupportedMediaType(
                $"Content-Type '{request.ContentType}' is not supported; send application/json ({{\"text\": …}}), multipart/form-data with a file, or the file itself as one of: {ContentTypes.Describe()}.");
        }

        return Answer(collection, id, result);
    }

    private static async Task<IResult> PutMultipartAsync(string collection, string id, HttpRequest request, IRagClient rag, IOcrEngine ocr)
    {
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        }
        catch (InvalidDataException exception)
        {
            return Problems.BadRequest($"The multipart body cannot be read: {exception.Message}");
        }
        catch (IOException) when (!request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            return Problems.BadRequest("The multipart body ends before its closing boundary (cut short?); send the whole body.");
        }

        var file = form.Files.GetFile("file") ?? (form.Files.Count > 0 ? form.Files[0] : null);
        if (file is null)
        {
            return Problems.BadRequest("The multipart body has no file part; send the document as a part named 'file'.");
        }

        var type = ContentTypes.Find(file.ContentType) ?? ContentTypes.ForExtension(Path.GetExtension(file.FileName));
        if (type is null)
        {
            return Problems.UnsupportedMediaType(
                $"The file part '{file.FileName}' ({file.ContentType}) is not a format OrleansRag reads; send one of: {ContentTypes.Describe()}.");
        }

        var (metadata, problem) = ParseMetadata(form["metadata"].FirstOrDefault(), "the 'metadata' part", request);
        problem ??= RefuseWithoutOcr(type, ocr);
        if (problem is not null)
        {
            return problem;
        }

        var title = form["title"].FirstOrDefault() is { Length: > 0 } t ? t : null;
        await using var content = file.OpenReadStream();
        var result = await rag.IngestFileAsync(collection, id, content, type.MediaType, title, metadata, request.HttpContext.RequestAborted);
        return Answer(collection, id, result);
    }

    private static async Task<(DocumentInput? Document, IResult? Problem)> ReadJsonDocumentAsync(HttpRequest request, IngestionOptions options)
    {
        var (body, problem) = await JsonBody.ReadAsync<PutDocumentRequest>(request, RequestLimit(options));
        return problem is not null ? (null, problem) : (new DocumentInput(body!.Text ?? "", body.Title, body.ContentType, body.Metadata), null);
    }

    /// <summary>A raw file's title and metadata, from headers or the query string.</summary>
    private static (string? Title, IReadOnlyDictionary<string, MetadataValue>? Metadata, IResult? Problem) Describe(HttpRequest request)
    {
        var title = request.Headers[TitleHeader].FirstOrDefault() ?? request.Query["title"].FirstOrDefault();
        if (title is not null)
        {
            try
            {
                title = Uri.UnescapeDataString(title).Trim();
            }
            catch (UriFormatException)
            {
                return (null, null, Problems.BadRequest($"{TitleHeader} is not valid percent-encoded UTF-8."));
            }
        }

        var source = request.Headers[MetadataHeader].FirstOrDefault() is { } header ? (header, MetadataHeader) : (request.Query["metadata"].FirstOrDefault(), "the 'metadata' query parameter");
        var (metadata, problem) = ParseMetadata(source.Item1, source.Item2, request);
        return (string.IsNullOrEmpty(title) ? null : title, metadata, problem);
    }

    private static (IReadOnlyDictionary<string, MetadataValue>? Metadata, IResult? Problem) ParseMetadata(string? json, string where, HttpRequest request)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return (null, null);
        }

        try
        {
            var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
            return (JsonSerializer.Deserialize<Dictionary<string, MetadataValue>>(json, options), null);
        }
        catch (JsonException exception)
        {
            return (null, Problems.BadRequest($"{where} must be a JSON object of metadata ({{\"team\": \"core\", \"year\": 2024}}): {exception.Message}"));
        }
    }

    private static IResult Answer(string collection, string id, IngestResult result)
    {
        var location = $"/v1/collections/{collection}/documents/{Uri.EscapeDataString(id)}"; // ids may hold spaces, '#', any Unicode
        return result.Status switch
        {
            IngestStatus.Created => Results.Created(location, result),
            IngestStatus.Accepted => Results.Accepted(location, result),
            _ => Results.Ok(result),
        };
    }

    private static async Task<IResult> GetAsync(string collection, string id, IRagClient rag, CancellationToken cancellationToken)
    {
        var document = await rag.GetAsync(collection, id, cancellationToken);
        return document is null
            ? Problems.NotFound($"Document '{id}' does not exist in collection '{collection}'.")
            : Results.Ok(document);
    }

    /// <summary>
    /// The original, streamed from the blob store through the document's grain. Text comes with its charset; anything
    /// but a PDF is sandboxed (no scripts, its own origin), so an uploaded HTML page never runs as this site.
    /// </summary>
    private static async Task<IResult> GetContentAsync(string collection, string id, IRagClient rag, HttpContext context, CancellationToken cancellationToken)
    {
        var content = await rag.OpenContentAsync(collection, id, cancellationToken);
        if (content is null)
        {
            return Problems.NotFound($"Document '{id}' does not exist in collection '{collection}'.");
        }

        var format = ContentTypes.Find(content.ContentType);
        var headers = context.Response.Headers;
        headers.ContentDisposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("inline") { FileNameStar = content.FileName }.ToString();
        headers.XContentTypeOptions = "nosniff";
        if (content.ContentType != ContentTypes.Pdf)
        {
            headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        }

        return Results.Stream(content, format is { IsText: true } ? $"{content.ContentType}; charset=utf-8" : content.ContentType,
            entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{content.Version}\""), enableRangeProcessing: true);
    }

    /// <summary>The most chunks one page of GET .../chunks holds.</summary>
    public const int MaxChunkPage = 1000;

    private static async Task<IResult> GetChunksAsync(string collection, string id, IRagClient rag, CancellationToken cancellationToken, int offset = 0, int limit = 100)
    {
        if (offset < 0)
        {
            return Problems.BadRequest($"offset must be 0 or more; it was {offset}.");
        }

        if (limit is < 1 or > MaxChunkPage)
        {
            return Problems.BadRequest($"limit must be between 1 and {MaxChunkPage}; it was {limit}.");
        }

        var page = await rag.GetChunksAsync(collection, id, offset, limit, cancellationToken);
        return page is null
            ? Problems.NotFound($"Document '{id}' does not exist in collection '{collection}'.")
            : Results.Ok(page);
    }

    private static async Task<IResult> DeleteAsync(string collection, string id, IRagClient rag, CancellationToken cancellationToken) =>
        await rag.DeleteAsync(collection, id, cancellationToken)
            ? Results.NoContent()
            : Problems.NotFound($"Document '{id}' does not exist in collection '{collection}'.");

    private static async Task<IResult> ListAsync(string collection, string? status, IRagClient rag, CancellationToken cancellationToken)
    {
        DocumentStatus? wanted = null;
        if (status is not null)
        {
            if (!Enum.TryParse<DocumentStatus>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(status, out _))
            {
                return Problems.BadRequest($"status must be one of {string.Join(", ", Enum.GetNames<DocumentStatus>().Select(JsonNamingPolicy.CamelCase.ConvertName))}; it was '{(status.Length > 32 ? status[..32] + "…" : status)}'.");
            }

            wanted = parsed;
        }

        var documents = wanted is { } only ? await rag.ListAsync(collection, only, cancellationToken) : await rag.ListAsync(collection, cancellationToken);
        return Results.Ok(new DocumentListResponse(collection, documents.Count, documents));
    }
}
