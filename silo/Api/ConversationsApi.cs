using Microsoft.Net.Http.Headers;
using OrleansRag.Client;

namespace OrleansRag.Silo.Api;

/// <summary>
/// Conversations with a collection: POST creates one, POST .../{id}/messages asks its next question (answered with the
/// earlier turns; JSON, or Server-Sent Events with ?stream=true, "stream": true or Accept: text/event-stream), GET
/// returns the history, DELETE removes it, GET on the collection's conversations lists the caller's.
/// </summary>
public static class ConversationsApi
{
    public sealed record ConversationListResponse(string Collection, IReadOnlyList<ConversationInfo> Conversations);

    public static RouteGroupBuilder MapConversationsApi(this RouteGroupBuilder v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        var conversations = v1.MapGroup("/collections/{collection}/conversations").WithTags("Conversations");
        conversations.MapPost("", async (string collection, IRagClient rag, CancellationToken cancellationToken) =>
            {
                var info = await rag.CreateConversationAsync(collection, cancellationToken);
                return Results.Created($"/v1/collections/{collection}/conversations/{info.Id}", info);
            })
            .WithName("CreateConversation").WithSummary("Start a conversation with a collection")
            .Produces<ConversationInfo>(StatusCodes.Status201Created).ProducesProblems(400, 404, 409);
        conversations.MapGet("", async (string collection, IRagClient rag, CancellationToken cancellationToken) =>
                Results.Ok(new ConversationListResponse(collection, await rag.ListConversationsAsync(collection, cancellationToken))))
            .WithName("ListConversations").WithSummary("The caller's conversations with a collection, most recently active first")
            .Produces<ConversationListResponse>().ProducesProblems(400);
        conversations.MapGet("/{id}", async (string collection, string id, IRagClient rag, CancellationToken cancellationToken) =>
                await rag.GetConversationAsync(collection, id, cancellationToken) is { } conversation
                    ? Results.Ok(conversation)
                    : Problems.NotFound(RagNotFoundException.Conversation(collection, id).Message))
            .WithName("GetConversation").WithSummary("A conversation and its turns")
            .Produces<Conversation>().ProducesProblems(400, 404);
        conversations.MapDelete("/{id}", async (string collection, string id, IRagClient rag, CancellationToken cancellationToken) =>
                await rag.DeleteConversationAsync(collection, id, cancellationToken)
                    ? Results.NoContent()
                    : Problems.NotFound(RagNotFoundException.Conversation(collection, id).Message))
            .WithName("DeleteConversation").WithSummary("Delete a conversation")
            .Produces(StatusCodes.Status204NoContent).ProducesProblems(400, 404);
        conversations.MapPost("/{id}/messages", (string collection, string id, HttpRequest request, IRagClient rag, ILoggerFactory logs) =>
            QueryApi.RunAsync<AskRequest>(request, async (body, question, options, token) =>
            {
                if (!WantsStream(request, body))
                {
                    return Results.Ok(await rag.SendMessageAsync(collection, id, question, options, token));
                }

                // Known problems are answered before the stream starts, with a status code.
                return await rag.GetConversationAsync(collection, id, token) is null
                    ? Problems.NotFound(RagNotFoundException.Conversation(collection, id).Message)
                    : TypedResults.ServerSentEvents(QueryApi.Stream(await AnswerStreams.StartAsync(rag.SendMessageStreamAsync(collection, id, question, options, token), token), logs.CreateLogger(typeof(ConversationsApi)), token));
            }))
            .WithName("SendMessage")
            .WithSummary("Ask the next question of a conversation: the answer with citations (and the standalone question it was answered as), or Server-Sent Events")
            .DescribesBody<AskRequest>("application/json").Produces<AskResponse>(StatusCodes.Status200OK, "application/json", "text/event-stream")
            .ProducesProblems(400, 404, 409, 413, 415);
        return v1;
    }

    /// <summary>Streamed when the query string says stream=true, the body "stream": true, or the client accepts only events.</summary>
    private static bool WantsStream(HttpRequest request, AskRequest body) =>
        body.Stream == true
        || string.Equals(request.Query["stream"], "true", StringComparison.OrdinalIgnoreCase)
        || request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/event-stream", StringComparison.OrdinalIgnoreCase));
}
