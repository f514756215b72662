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
        return v1;
    }

    private static async Task<IResult> CreateAsync(string collection, HttpRequest request, IRagClient rag)
    {
        var (body, problem) = await JsonBody.ReadAsync<CreateCollectionRequest>(request, JsonBody.SmallBodyLimit);
        if (problem is not null)
        {
            return problem;
        }

        var settings = new CollectionSettings(body!.ShardCount, body.ChunkTokens, body.ChunkOverlapTokens, body.EmbeddingModel);
        var existing = await rag.GetCollectionAsync(collection, request.HttpContext.RequestAborted);
        var info = await rag.CreateCollectionAsync(collection, settings, request.HttpContext.RequestAborted); // the grain checks the settings; an existing collection comes back as it is
        if (existing is null)
        {
            return Results.Created($"/v1/collections/{collection}", info);
        }

        var conflicts = (settings.ShardCount is { } shards && shards != info.ShardCount)
            || (settings.ChunkTokens is not null && settings.ChunkTokens != info.ChunkTokens)
            || (settings.ChunkOverlapTokens is not null && settings.ChunkOverlapTokens != info.ChunkOverlapTokens)
            || (settings.EmbeddingModel is not null && !string.Equals(settings.EmbeddingModel, info.EmbeddingModel?.Name, StringComparison.OrdinalIgnoreCase));
        return conflicts
            ? Results.Problem(detail: $"Collection '{collection}' exists with other settings (shardCount {info.ShardCount}, chunkTokens {info.ChunkTokens?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default"}, embeddingModel {info.EmbeddingModel?.Name}); settings are fixed at creation.",
                statusCode: StatusCodes.Status409Conflict, title: "Conflict")
            : Results.Ok(info);
    }

    private static async Task<IResult> GetAsync(string collection, IRagClient rag, CancellationToken cancellationToken) =>
        await rag.GetCollectionAsync(collection, cancellationToken) is { } info
            ? Results.Ok(info)
            : Problems.NotFound($"Collection '{collection}' does not exist.");
}
