using System.Globalization;
using OrleansRag.Client;
using OrleansRag.Silo.Security;

namespace OrleansRag.Silo.Api;

/// <summary>
/// Feedback and the query log: POST .../answers/{answerId}/feedback rates an answer (anyone who may ask), GET
/// .../query-log pages through the collection's answered questions, newest first (admins).
/// </summary>
public static class QueryLogApi
{
    /// <summary>Body of POST /v1/collections/{collection}/answers/{answerId}/feedback.</summary>
    public sealed record FeedbackRequest(AnswerRating? Rating, string? Comment);

    public static RouteGroupBuilder MapQueryLogApi(this RouteGroupBuilder v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        var collection = v1.MapGroup("/collections/{collection}").WithTags("Feedback and query log");
        collection.MapPost("/answers/{answerId}/feedback", RateAsync)
            .WithName("RateAnswer").WithSummary("Rate an answer up or down, with an optional comment (a later rating replaces an earlier one)")
            .DescribesBody<FeedbackRequest>("application/json").Produces(StatusCodes.Status204NoContent).ProducesProblems(400, 404, 413, 415);
        collection.MapGet("/query-log", ReadAsync).RequireAuthorization(SecurityExtensions.Admin)
            .WithName("GetQueryLog")
            .WithSummary("The collection's answered questions, newest first: question, rewrite, mode, timings, citations, cached, no-answer, feedback. Paged with ?before={next}&limit=; filters ?rating=up|down, ?noAnswer=true|false")
            .Produces<QueryLogPage>().ProducesProblems(400, 404);
        return v1;
    }

    private static async Task<IResult> RateAsync(string collection, string answerId, HttpRequest request, IRagClient rag)
    {
        var (body, problem) = await JsonBody.ReadAsync<FeedbackRequest>(request, JsonBody.SmallBodyLimit);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Rating is not { } rating)
        {
            return Problems.BadRequest("rating is required: \"up\" or \"down\".");
        }

        return await rag.RateAnswerAsync(collection, answerId, rating, body.Comment, request.HttpContext.RequestAborted)
            ? Results.NoContent()
            : Problems.NotFound($"Collection '{collection}' has no answer '{answerId}' in its query log (never given, or older than the retention).");
    }

    private static async Task<IResult> ReadAsync(string collection, HttpRequest request, IRagClient rag)
    {
        var parameters = request.Query;
        var limit = 50;
        if (parameters["limit"].ToString() is { Length: > 0 } limitText && !int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit))
        {
            return Problems.BadRequest($"limit must be a whole number from 1 to {QueryLogQuery.MaxLimit}.");
        }

        AnswerRating? rating = null;
        if (parameters["rating"].ToString() is { Length: > 0 } ratingText)
        {
            if (ratingText is not ("up" or "down"))
            {
                return Problems.BadRequest("rating must be up or down.");
            }

            rating = ratingText == "up" ? AnswerRating.Up : AnswerRating.Down;
        }

        bool? noAnswer = null;
        if (parameters["noAnswer"].ToString() is { Length: > 0 } noAnswerText)
        {
            if (!bool.TryParse(noAnswerText, out var parsed))
            {
                return Problems.BadRequest("noAnswer must be true or false.");
            }

            noAnswer = parsed;
        }

        var before = parameters["before"].ToString() is { Length: > 0 } cursor ? cursor : null;
        var page = await rag.GetQueryLogAsync(collection, new QueryLogQuery(before, limit, rating, noAnswer), request.HttpContext.RequestAborted);
        return page is null ? Problems.NotFound($"Collection '{collection}' does not exist.") : Results.Ok(page);
    }
}
