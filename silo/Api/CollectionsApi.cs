using OrleansRag.Client;
using OrleansRag.Silo.Security;

namespace OrleansRag.Silo.Api;

/// <summary>PUT and GET /v1/collections/{collection}: a collection's own settings (shards, chunking, embedding model).</summary>
public static class CollectionsApi
{
    public static RouteGroupBuilder MapCollectionsApi(this RouteGroupBuilder v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        var collections = v1.MapGroup("/collections").WithTags("Collections");
        collections.MapPut("/{collection}", CreateAsync).WithName("CreateCollection").RequireAuthorization(SecurityExtensions.Admin).Audited("collection.create")
            .WithSummary("Create a collection with its settings (fixed at creation); the same settings again answer 200")
            .DescribesBody<CreateCollectionRequest>("application/json").Produces<CollectionInfo>(StatusCodes.Status201Created).Produces<CollectionInfo>()
            .ProducesProblems(400, 409, 413, 415);
        collections.MapGet("/", async (IRagClient rag, CancellationToken cancellationToken) => Results.Ok(new CollectionList(await rag.ListCollectionsAsync(cancellationToken))))
            .WithName("ListCollections").WithSummary("The tenant's collections with their sizes").Produces<CollectionList>();
        collections.MapGet("/{collection}", GetAsync).WithName("GetCollection").WithSummary("A collection's settings and size")
            .Produces<CollectionInfo>().ProducesProblems(400, 404);
        collections.MapGet("/{collection}/export", ExportAsync).WithName("ExportCollection").Audited("collection.export")
            .WithSummary("A portable archive of the collection (gzip'd tar: settings, model, documents, chunks with vectors; originals with ?sources=true), streamed")
            .Produces(StatusCodes.Status200OK, contentType: ArchiveMediaType).ProducesProblems(400, 404);
        collections.MapPost("/{collection}/import", ImportAsync).WithName("ImportCollection").RequireAuthorization(SecurityExtensions.Admin).Audited("collection.import")
            .WithSummary("Restore an archive (the body) into a new or empty collection, or replace its documents with ?replace=true; the archive is checked whole first")
            .Accepts<IFormFile>(ArchiveMediaType).Produces<Client.Archives.ImportSummary>(StatusCodes.Status201Created).Produces<Client.Archives.ImportSummary>()
            .ProducesProblems(400, 409, 413);
        return v1;
    }

    /// <summary>The media type of an archive (a gzip-compressed tar).</summary>
    public const string ArchiveMediaType = "application/gzip";

    private static async Task<IResult> ExportAsync(string collection, IRagClient rag, CancellationToken cancellationToken, bool sources = false)
    {
        if (await rag.GetCollectionAsync(collection, cancellationToken) is null)
        {
            return Problems.NotFound($"Collection '{collection}' does not exist.");
        }

        // Written as it is read; a failure once bytes are out cuts the archive short, which an import then refuses.
        return Results.Stream(async body => await rag.ExportAsync(collection, body, sources, progress: null, cancellationToken), ArchiveMediaType,
            fileDownloadName: $"{collection}.orleansrag.tar.gz");
    }

    private static async Task<IResult> ImportAsync(string collection, HttpRequest request, IRagClient rag, Microsoft.Extensions.Options.IOptions<OrleansRag.Ingestion.IngestionOptions> ingestion,
        bool replace = false)
    {
        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = ingestion.Value.MaxArchiveBytes; // an archive holds a whole collection, beyond the document limit
        }

        var summary = await rag.ImportAsync(collection, request.Body, replace, progress: null, request.HttpContext.RequestAborted);
        return summary.Created ? Results.Created($"/v1/collections/{collection}", summary) : Results.Ok(summary);
    }

    private static async Task<IResult> CreateAsync(string collection, HttpRequest request, IRagClient rag)
    {
        var (body, problem) = await JsonBody.ReadAsync<CreateCollectionRequest>(request, JsonBody.SmallBodyLimit);
        if (problem is not null)
        {
            return problem;
        }

        var settings = new CollectionSettings(body!.ShardCount, body.ChunkTokens, body.ChunkOverlapTokens, body.EmbeddingModel, body.Rerank);
        var existing = await rag.GetCollectionAsync(collection, request.HttpContext.RequestAborted);
        var info = await rag.CreateCollectionAsync(collection, settings, request.HttpContext.RequestAborted); // the grain checks the settings; an existing collection comes back as it is
        if (existing is null)
        {
            return Results.Created($"/v1/collections/{collection}", info);
        }

        var conflicts = (settings.ShardCount is { } shards && shards != info.ShardCount)
            || (settings.ChunkTokens is not null && settings.ChunkTokens != info.ChunkTokens)
            || (settings.ChunkOverlapTokens is not null && settings.ChunkOverlapTokens != info.ChunkOverlapTokens)
            || (settings.EmbeddingModel is not null && !string.Equals(settings.EmbeddingModel, info.EmbeddingModel?.Name, StringComparison.OrdinalIgnoreCase))
            || (settings.Rerank is not null && settings.Rerank != info.Rerank);
        return conflicts
            ? Results.Problem(detail: $"Collection '{collection}' exists with other settings (shardCount {info.ShardCount}, chunkTokens {info.ChunkTokens?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default"}, embeddingModel {info.EmbeddingModel?.Name}, rerank {info.Rerank?.ToString().ToLowerInvariant() ?? "default"}); settings are fixed at creation.",
                statusCode: StatusCodes.Status409Conflict, title: "Conflict")
            : Results.Ok(info);
    }

    private static async Task<IResult> GetAsync(string collection, IRagClient rag, CancellationToken cancellationToken) =>
        await rag.GetCollectionAsync(collection, cancellationToken) is { } info
            ? Results.Ok(info)
            : Problems.NotFound($"Collection '{collection}' does not exist.");
}
