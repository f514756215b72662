using OrleansRag.Client;

namespace OrleansRag.Silo.Api;

/// <summary>POST /v1/collections/{collection}/search and /ask.</summary>
public static class QueryApi
{
    public static RouteGroupBuilder MapQueryApi(this RouteGroupBuilder v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        var collections = v1.MapGroup("/collections/{collection}").WithTags("Query");
        collections.MapPost("/search", SearchAsync).WithName("Search");
        collections.MapPost("/ask", AskAsync).WithName("Ask");
        return v1;
    }

    private static async Task<IResult> SearchAsync(string collection, HttpRequest request, IRagClient rag)
    {
        var (body, problem) = await JsonBody.ReadAsync<SearchRequest>(request, JsonBody.SmallBodyLimit);
        if (problem is not null)
        {
            return problem;
        }

        var (filter, filterProblem) = ParseFilter(body!.Filter);
        if (filterProblem is not null)
        {
            return Problems.BadRequest(filterProblem);
        }

        var options = body.Options(filter);
        if (Check(collection, "query", body.Query, options) is { } invalid)
        {
            return invalid;
        }

        return Results.Ok(await rag.SearchAsync(collection, body.Query!, options, request.HttpContext.RequestAborted));
    }

    private static async Task<IResult> AskAsync(string collection, HttpRequest request, IRagClient rag)
    {
        var (body, problem) = await JsonBody.ReadAsync<AskRequest>(request, JsonBody.SmallBodyLimit);
        if (problem is not null)
        {
            return problem;
        }

        var (filter, filterProblem) = ParseFilter(body!.Filter);
        if (filterProblem is not null)
        {
            return Problems.BadRequest(filterProblem);
        }

        var options = body.Options(filter);
        if (Check(collection, "question", body.Question, options) is { } invalid)
        {
            return invalid;
        }

        return Results.Ok(await rag.AskAsync(collection, body.Question!, options, request.HttpContext.RequestAborted));
    }

    private static (MetadataFilter? Filter, string? Problem) ParseFilter(System.Text.Json.JsonElement? json) =>
        json is { ValueKind: not System.Text.Json.JsonValueKind.Null } element ? MetadataFilter.Parse(element) : (null, null);

    private static IResult? Check(string collection, string field, string? text, SearchOptions options) =>
        RagValidation.CheckQueryRequest(collection, field, text, options) is { } problem ? Problems.BadRequest(problem) : null;
}
