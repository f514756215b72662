using OrleansRag.Client;
using OrleansRag.Silo.Security;

namespace OrleansRag.Silo.Api;

/// <summary>
/// Sources of a collection: POST attaches one (a folder, an Azure Blob container, an S3 bucket or a web site) and
/// starts its first sync, GET lists them or shows one (last sync, counts, per-file errors; secrets by name only),
/// POST .../{id}/sync syncs now, DELETE detaches it (and deletes its documents unless ?keepDocuments=true).
/// </summary>
public static class SourcesApi
{
    /// <summary>Body of POST /v1/collections/{collection}/sources: the id, the kind, and the settings of that kind.</summary>
    public sealed record AddSourceRequest(
        string? Id, SourceKind? Kind, string? Path, string? Container, string? ConnectionString, string? Bucket, string? Prefix,
        string? ServiceUrl, string? Region, string? AccessKey, string? SecretKey, string? Url, string? Sitemap, int? MaxPages,
        int? IntervalMinutes, bool? Watch)
    {
        /// <summary>Never the secrets, should a request ever be logged.</summary>
        public override string ToString() => $"AddSourceRequest {{ Id = {Id}, Kind = {Kind} }}";
    }

    /// <summary>GET /v1/collections/{collection}/sources.</summary>
    public sealed record SourceListResponse(string Collection, IReadOnlyList<SourceInfo> Sources);

    public static RouteGroupBuilder MapSourcesApi(this RouteGroupBuilder v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        var sources = v1.MapGroup("/collections/{collection}/sources").WithTags("Sources");
        sources.MapPost("", AddAsync).WithName("AddSource").RequireAuthorization(SecurityExtensions.Admin).Audited("source.create")
            .WithSummary("Attach a source (folder, azureblob, s3 or web) to a collection and start its first sync; secrets are kept encrypted and never returned")
            .DescribesBody<AddSourceRequest>("application/json").Produces<SourceInfo>(StatusCodes.Status201Created).ProducesProblems(400, 409, 413, 415);
        sources.MapGet("", async (string collection, IRagClient rag, CancellationToken cancellationToken) =>
                Results.Ok(new SourceListResponse(collection, await rag.ListSourcesAsync(collection, cancellationToken))))
            .WithName("ListSources").WithSummary("The collection's sources with their last sync").Produces<SourceListResponse>().ProducesProblems(400);
        sources.MapGet("/{id}", async (string collection, string id, IRagClient rag, CancellationToken cancellationToken) =>
                await rag.GetSourceAsync(collection, id, cancellationToken) is { } source ? Results.Ok(source) : NotFound(collection, id))
            .WithName("GetSource").WithSummary("A source: its settings (secrets by name only), state, last sync with counts, next sync and per-file errors")
            .Produces<SourceInfo>().ProducesProblems(400, 404);
        sources.MapPost("/{id}/sync", async (string collection, string id, IRagClient rag, CancellationToken cancellationToken) =>
                await rag.SyncSourceAsync(collection, id, cancellationToken) is { } source
                    ? Results.Accepted($"/v1/collections/{collection}/sources/{id}", source)
                    : NotFound(collection, id))
            .WithName("SyncSource").RequireAuthorization(SecurityExtensions.Writer).Audited("source.sync")
            .WithSummary("Sync a source now (or once more after the running sync); GET it to see when it is done")
            .Produces<SourceInfo>(StatusCodes.Status202Accepted).ProducesProblems(400, 404);
        sources.MapDelete("/{id}", async (string collection, string id, IRagClient rag, CancellationToken cancellationToken, bool keepDocuments = false) =>
                await rag.DeleteSourceAsync(collection, id, keepDocuments, cancellationToken) ? Results.NoContent() : NotFound(collection, id))
            .WithName("DeleteSource").RequireAuthorization(SecurityExtensions.Admin).Audited("source.delete")
            .WithSummary("Detach a source and stop syncing it; its documents are deleted too unless ?keepDocuments=true")
            .Produces(StatusCodes.Status204NoContent).ProducesProblems(400, 404);
        return v1;
    }

    private static IResult NotFound(string collection, string id) =>
        Problems.NotFound($"Collection '{collection}' has no source '{id}'.");

    private static async Task<IResult> AddAsync(string collection, HttpRequest request, IRagClient rag)
    {
        var (body, problem) = await JsonBody.ReadAsync<AddSourceRequest>(request, JsonBody.SmallBodyLimit);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Kind is not { } kind)
        {
            return Problems.BadRequest("kind is required: folder, azureblob, s3 or web.");
        }

        if (RagValidation.CheckSourceId("id", body.Id) is { } badId)
        {
            return Problems.BadRequest(badId);
        }

        var settings = new SourceSettings(kind, body.Path, body.Container, body.Bucket, body.Prefix, body.ServiceUrl, body.Region, body.AccessKey,
            body.Url, body.Sitemap, body.MaxPages, body.IntervalMinutes, body.Watch);
        var secrets = new SourceSecrets(body.ConnectionString, body.SecretKey);
        if (RagValidation.CheckSource(settings, secrets) is { } invalid)
        {
            return Problems.BadRequest(invalid);
        }

        var source = await rag.AddSourceAsync(collection, body.Id!, settings, secrets, request.HttpContext.RequestAborted);
        return source is null
            ? Results.Problem(detail: $"Collection '{collection}' has a source '{body.Id}' already; delete it first to replace it.", statusCode: StatusCodes.Status409Conflict, title: "Conflict")
            : Results.Created($"/v1/collections/{collection}/sources/{body.Id}", source);
    }
}
