using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using OrleansRag.Client;

namespace OrleansRag.Silo.Api;

/// <summary>POST /v1/collections/{collection}/search and /ask (JSON, or Server-Sent Events with "stream": true).</summary>
public static class QueryApi
{
    public static RouteGroupBuilder MapQueryApi(this RouteGroupBuilder v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        var collections = v1.MapGroup("/collections/{collection}").WithTags("Query");
        collections.MapPost("/search", (string collection, HttpRequest request, IRagClient rag) =>
            RunAsync<SearchRequest>(request, async (_, text, options, token) => Results.Ok(await rag.SearchAsync(collection, text, options, token))))
            .WithName("Search").WithSummary("Search a collection (dense, BM25 or hybrid, with metadata filters)")
            .DescribesBody<SearchRequest>("application/json").Produces<SearchResponse>().ProducesProblems(400, 404, 413, 415);
        collections.MapPost("/ask", (string collection, HttpRequest request, IRagClient rag, ILoggerFactory logs) =>
            RunAsync<AskRequest>(request, async (body, text, options, token) =>
            {
                if (body.Stream != true)
                {
                    return Results.Ok(await rag.AskAsync(collection, text, options, token));
                }

                // Known problems are answered before the stream starts, with a status code.
                return await rag.GetCollectionAsync(collection, token) is null
                    ? Problems.NotFound($"Collection '{collection}' does not exist.")
                    : TypedResults.ServerSentEvents(Stream(await AnswerStreams.StartAsync(rag.AskStreamAsync(collection, text, options, token), token), logs.CreateLogger(typeof(QueryApi)), token));
            }))
            .WithName("Ask").WithSummary("Ask a question: an answer with numbered citations, or Server-Sent Events with \"stream\": true")
            .DescribesBody<AskRequest>("application/json").Produces<AskResponse>(StatusCodes.Status200OK, "application/json", "text/event-stream")
            .ProducesProblems(400, 404, 413, 415);
        return v1;
    }

    /// <summary>Reads a search or ask body (its JSON and filter syntax; the grains check what the values may be), then runs it.</summary>
    internal static async Task<IResult> RunAsync<TBody>(
        HttpRequest request, Func<TBody, string, SearchOptions, CancellationToken, Task<IResult>> run)
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

        return await run(body, body.Text ?? "", body.Options(filter), request.HttpContext.RequestAborted);
    }

    /// <summary>
    /// SSE events: "token" {text}, then "done" with the whole answer, citations and timings, or "error"
    /// {message} when generation breaks — the stream always ends with one of the two, never a hang.
    /// </summary>
    internal static async IAsyncEnumerable<SseItem<object>> Stream(IAsyncEnumerable<AskStreamEvent> events, ILogger logger, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var enumerator = events.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                AskStreamEvent item;
                string? failure = null;
                try
                {
                    if (!await enumerator.MoveNextAsync())
                    {
                        yield break;
                    }

                    item = enumerator.Current;
                }
                catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
                {
                    logger.LogWarning(exception, "Answer stream failed");
                    failure = "The answer stream failed inside the cluster; retry the question.";
                    item = new AskStreamEvent(AskStreamEventKind.Error, Error: failure);
                }

                yield return item.Kind switch
                {
                    AskStreamEventKind.Token => new SseItem<object>(new { text = item.Text }, "token"),
                    AskStreamEventKind.Done => new SseItem<object>(item.Response!, "done"),
                    _ => new SseItem<object>(new { message = item.Error }, "error"),
                };

                if (item.Kind != AskStreamEventKind.Token)
                {
                    yield break;
                }
            }
        }
        finally
        {
            await enumerator.DisposeAsync();
        }
    }
}
