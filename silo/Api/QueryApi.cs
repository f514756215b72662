using System.Text.Json;
using OrleansRag.Client;

namespace OrleansRag.Silo.Api;

/// <summary>POST /v1/collections/{collection}/search and /ask.</summary>
public static class QueryApi
{
    public static RouteGroupBuilder MapQueryApi(this RouteGroupBuilder v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        var collections = v1.MapGroup("/collections/{collection}").WithTags("Query");
        collections.MapPost("/search", (string collection, HttpRequest request, IRagClient rag) =>
            RunAsync<SearchRequest>(collection, request, "query", async (text, options, token) => await rag.SearchAsync(collection, text, options, token)))
            .WithName("Search");
        collections.MapPost("/ask", (string collection, HttpRequest request, IRagClient rag) =>
            RunAsync<AskRequest>(collection, request, "question", async (text, options, token) => await rag.AskAsync(collection, text, options, token)))
            .WithName("Ask");
        return v1;
    }

    /// <summary>Reads and validates a search or ask body (text, options, filter), then runs it.</summary>
    private static async Task<IResult> RunAsync<TBody>(
        string collection, HttpRequest request, string field, Func<string, SearchOptions, CancellationToken, Task<object>> run)
        where TBody : class, IQueryRequest
    {
        var (body, problem) = await JsonBody.ReadAsync<TBody>(request, JsonBody.SmallBodyLimit);
        if (problem is not null)
        {
            return problem;
        }

        var (filter, filterProblem) = body!.Filter is { ValueKind: not JsonValueKind.Null } json ? MetadataFilter.Parse(json) : (null, null);
        if (filterProblem is not null)
        {
            return Problems.BadRequest(filterProblem);
        }

        var options = body.Options(filter);
        if (RagValidation.CheckQueryRequest(collection, field, body.Text, options) is { } invalid)
        {
            return Problems.BadRequest(invalid);
        }

        return Results.Ok(await run(body.Text!, options, request.HttpContext.RequestAborted));
    }
}
