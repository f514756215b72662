using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using OrleansRag.Client;
using OrleansRag.Embedding;

namespace OrleansRag.Silo.Api;

/// <summary>
/// The OpenAI chat-completions protocol over the collections, so chat front ends (Open WebUI, LibreChat) and any OpenAI
/// client can ask them: GET /v1/models lists the collections the key may read (one model per collection, id = its
/// name); POST /v1/chat/completions answers the last user message with the earlier messages as the conversation
/// (condensed like a conversation turn; nothing is stored), in OpenAI's response shape or as chat.completion.chunk
/// events ending with [DONE]. Citations are numbered references in the content and a structured "citations" field;
/// errors are OpenAI's error objects.
/// </summary>
public static class OpenAiChatApi
{
    public const string ModelsPath = "/v1/models";
    public const string CompletionsPath = "/v1/chat/completions";

    /// <summary>Largest request body: clients send the whole conversation with every message.</summary>
    public const int BodyLimit = 4 * 1024 * 1024;

    public sealed record ModelList([property: JsonPropertyName("object")] string Kind, IReadOnlyList<Model> Data);

    public sealed record Model(string Id, [property: JsonPropertyName("object")] string Kind, long Created, [property: JsonPropertyName("owned_by")] string OwnedBy);

    /// <summary>The body as OpenAI documents it; fields OrleansRag does not use (temperature, max_tokens, …) are accepted and ignored.</summary>
    public sealed record ChatCompletionRequest(string? Model, JsonElement? Messages, bool? Stream);

    public sealed record ChatMessage(string Role, string Content);

    public sealed record Choice(int Index, ChatMessage Message, [property: JsonPropertyName("finish_reason")] string FinishReason);

    public sealed record Usage(
        [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
        [property: JsonPropertyName("completion_tokens")] int CompletionTokens,
        [property: JsonPropertyName("total_tokens")] int TotalTokens);

    public sealed record ChatCompletion(
        string Id,
        [property: JsonPropertyName("object")] string Kind,
        long Created,
        string Model,
        IReadOnlyList<Choice> Choices,
        Usage Usage,
        IReadOnlyList<Citation> Citations,
        [property: JsonPropertyName("standalone_question"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? StandaloneQuestion);

    public static RouteGroupBuilder MapOpenAiChatApi(this RouteGroupBuilder v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        v1.MapGet("/models", ListModelsAsync).WithTags("OpenAI-compatible").WithName("ListModels")
            .WithSummary("OpenAI-compatible: the collections this key may ask, one model each (id = collection name)")
            .Produces<ModelList>();
        v1.MapGet("/models/{model}", GetModelAsync).WithTags("OpenAI-compatible").WithName("GetModel")
            .WithSummary("OpenAI-compatible: one collection as a model; 404 in OpenAI's error shape when the key cannot read it")
            .Produces<Model>();
        v1.MapPost("/chat/completions", CompleteAsync).WithTags("OpenAI-compatible").WithName("CreateChatCompletion")
            .WithSummary("OpenAI-compatible chat completion: model = collection; the messages are the conversation; stream: true gives chat.completion.chunk events")
            .DescribesBody<ChatCompletionRequest>("application/json")
            .Produces<ChatCompletion>(StatusCodes.Status200OK, "application/json", "text/event-stream");
        return v1;
    }

    private static async Task<IResult> ListModelsAsync(IRagClient rag, CancellationToken cancellationToken)
    {
        var me = await rag.WhoAmIAsync(cancellationToken);
        var collections = await rag.ListCollectionsAsync(cancellationToken);
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return Results.Json(new ModelList("list", [.. collections.Select(c => new Model(c.Name, "model", created, me.Tenant))]));
    }

    private static async Task<IResult> GetModelAsync(string model, IRagClient rag, CancellationToken cancellationToken)
    {
        if (RagValidation.CheckId("model", model) is not null || await rag.GetCollectionAsync(model, cancellationToken) is null)
        {
            return ModelNotFound(model);
        }

        var me = await rag.WhoAmIAsync(cancellationToken);
        return Results.Json(new Model(model, "model", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), me.Tenant));
    }

    private static IResult ModelNotFound(string model) =>
        OpenAiErrors.Result(StatusCodes.Status404NotFound, $"The model '{model}' does not exist: models are the collections this key may read (GET /v1/models).",
            param: "model", code: "model_not_found");

    private static async Task<IResult> CompleteAsync(HttpContext context, IRagClient rag, EmbeddingService embeddings)
    {
        var request = context.Request;
        var cancellationToken = context.RequestAborted;
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = BodyLimit; // the whole conversation comes with every message, beyond the silo's usual request limit
        }

        var (body, problem, detail) = await JsonBody.ReadBodyAsync<ChatCompletionRequest>(request, BodyLimit);
        if (problem is not null)
        {
            return OpenAiErrors.Result(problem.Status, detail!, param: problem.Status == StatusCodes.Status400BadRequest ? "messages" : null);
        }

        if (string.IsNullOrWhiteSpace(body!.Model))
        {
            return OpenAiErrors.Result(StatusCodes.Status400BadRequest, "model is required: the name of a collection (GET /v1/models lists them).", param: "model");
        }

        var (question, history, messagesProblem) = Conversation(body.Messages);
        if (messagesProblem is not null)
        {
            return OpenAiErrors.Result(StatusCodes.Status400BadRequest, messagesProblem, param: "messages");
        }

        if (RagValidation.CheckId("model", body.Model) is not null || await rag.GetCollectionAsync(body.Model, cancellationToken) is null)
        {
            return ModelNotFound(body.Model);
        }

        var tokenizer = (await embeddings.GetModelAsync()).Tokenizer;
        var promptTokens = tokenizer.CountTokens(question) + history.Sum(t => tokenizer.CountTokens(t.Question) + tokenizer.CountTokens(t.Answer));
        var id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (body.Stream != true)
        {
            var answer = await rag.AskAsync(body.Model, question, history, cancellationToken: cancellationToken);
            var content = answer.Answer + References(answer.Citations);
            var completionTokens = tokenizer.CountTokens(content);
            return Results.Json(new ChatCompletion(id, "chat.completion", created, body.Model,
                [new Choice(0, new ChatMessage("assistant", content), "stop")],
                new Usage(promptTokens, completionTokens, promptTokens + completionTokens), answer.Citations, answer.StandaloneQuestion));
        }

        var events = await AnswerStreams.StartAsync(rag.AskStreamAsync(body.Model, question, history, cancellationToken: cancellationToken), cancellationToken);
        return Results.Stream(stream => StreamAsync(stream, events, id, created, body.Model, context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OpenAiChatApi)), cancellationToken), "text/event-stream");
    }

    /// <summary>
    /// chat.completion.chunk events: the role, the answer's pieces as they come, the references, then a last chunk with
    /// finish_reason "stop" and the citations, and "data: [DONE]". A stream that breaks ends with an error object and [DONE].
    /// </summary>
    private static async Task StreamAsync(Stream stream, IAsyncEnumerable<AskStreamEvent> events, string id, long created, string model, ILogger logger, CancellationToken cancellationToken)
    {
        async Task WriteAsync(object payload)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes($"data: {JsonSerializer.Serialize(payload, Json)}\n\n"), cancellationToken);
            await stream.FlushAsync(cancellationToken);
        }

        object Chunk(object delta, string? finish = null, IReadOnlyList<Citation>? citations = null, string? standalone = null) => new Dictionary<string, object?>
        {
            ["id"] = id,
            ["object"] = "chat.completion.chunk",
            ["created"] = created,
            ["model"] = model,
            ["choices"] = new[] { new Dictionary<string, object?> { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish } },
            ["citations"] = citations,
            ["standalone_question"] = standalone,
        };

        await using var owner = events.GetAsyncEnumerator(cancellationToken); // the started stream ends however this response does
        await WriteAsync(Chunk(new { role = "assistant", content = "" }));
        try
        {
            await foreach (var item in events.WithCancellation(cancellationToken))
            {
                switch (item.Kind)
                {
                    case AskStreamEventKind.Token:
                        await WriteAsync(Chunk(new { content = item.Text }));
                        break;
                    case AskStreamEventKind.Done:
                        var answer = item.Response!;
                        if (answer.Citations.Count > 0)
                        {
                            await WriteAsync(Chunk(new { content = References(answer.Citations) }));
                        }

                        await WriteAsync(Chunk(new { }, "stop", answer.Citations, answer.StandaloneQuestion));
                        break;
                    default:
                        await WriteAsync(new { error = new { message = item.Error, type = "server_error", param = (string?)null, code = (string?)null } });
                        break;
                }
            }
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(exception, "Chat completion stream failed");
            await WriteAsync(new { error = new { message = "The answer stream failed inside the cluster; retry the question.", type = "server_error", param = (string?)null, code = (string?)null } });
        }

        await stream.WriteAsync("data: [DONE]\n\n"u8.ToArray(), cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>"Sources:" and one numbered line per citation (title, page), appended to the answer's text.</summary>
    public static string References(IReadOnlyList<Citation> citations)
    {
        ArgumentNullException.ThrowIfNull(citations);
        if (citations.Count == 0)
        {
            return "";
        }

        var text = new StringBuilder("\n\nSources:");
        foreach (var citation in citations)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n[{citation.N}] {citation.Title}");
            if (citation.Page is { } page)
            {
                text.Append(CultureInfo.InvariantCulture, $", page {page}");
            }

            text.Append(CultureInfo.InvariantCulture, $" ({citation.DocumentId})");
        }

        return text.ToString();
    }

    /// <summary>
    /// The question (the last message, which must be the user's, with text) and the earlier turns, as
    /// <see cref="RagChatClient.Split"/> pairs them. Roles are system, developer (instructions, left out of retrieval),
    /// user and assistant; content is a string or text parts.
    /// </summary>
    public static (string Question, IReadOnlyList<ChatTurn> History, string? Problem) Conversation(JsonElement? messages)
    {
        if (messages is not { ValueKind: JsonValueKind.Array } array || array.GetArrayLength() == 0)
        {
            return ("", [], "messages must be a non-empty array of {role, content} objects.");
        }

        var parsed = new List<Microsoft.Extensions.AI.ChatMessage>();
        var index = 0;
        foreach (var message in array.EnumerateArray())
        {
            var at = $"messages[{index++}]";
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("role", out var roleElement) || roleElement.ValueKind != JsonValueKind.String)
            {
                return ("", [], $"{at} must be an object with a string \"role\".");
            }

            var (content, contentProblem) = Text(message, at);
            if (contentProblem is not null)
            {
                return ("", [], contentProblem);
            }

            Microsoft.Extensions.AI.ChatRole? role = roleElement.GetString() switch
            {
                "system" or "developer" => Microsoft.Extensions.AI.ChatRole.System,
                "user" => Microsoft.Extensions.AI.ChatRole.User,
                "assistant" => Microsoft.Extensions.AI.ChatRole.Assistant,
                _ => null,
            };
            if (role is not { } known)
            {
                return ("", [], $"{at}.role must be system, developer, user or assistant; it was '{roleElement.GetString()}' (this model calls no tools).");
            }

            parsed.Add(new Microsoft.Extensions.AI.ChatMessage(known, content));
        }

        if (parsed[^1].Role != Microsoft.Extensions.AI.ChatRole.User || string.IsNullOrWhiteSpace(parsed[^1].Text))
        {
            return ("", [], "The last message must be the user's question, with text.");
        }

        var (question, history) = RagChatClient.Split(parsed);
        return (question, history, null);
    }

    /// <summary>A message's text: a string, or the text parts of an array of content parts; null content is empty.</summary>
    private static (string Text, string? Problem) Text(JsonElement message, string at)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            return ("", null);
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return (content.GetString()!, null);
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return ("", $"{at}.content must be a string or an array of content parts.");
        }

        var text = new StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                return ("", $"{at}.content parts must be objects with a \"type\".");
            }

            if (type.GetString() == "text")
            {
                if (!part.TryGetProperty("text", out var partText) || partText.ValueKind != JsonValueKind.String)
                {
                    return ("", $"{at}.content text parts need a string \"text\".");
                }

                text.Append(text.Length > 0 ? "\n" : "").Append(partText.GetString());
            }
            else
            {
                return ("", $"{at}.content has a '{type.GetString()}' part; this model reads text only.");
            }
        }

        return (text.ToString(), null);
    }
}

/// <summary>Errors in OpenAI's shape (<c>{"error": {"message", "type", "param", "code"}}</c>) for the OpenAI-compatible paths.</summary>
public static class OpenAiErrors
{
    /// <summary>Whether the request is to an endpoint that answers errors in OpenAI's shape.</summary>
    public static bool Applies(HttpContext context) =>
        context?.Request.Path is { } path && (path.StartsWithSegments(OpenAiChatApi.ModelsPath) || path.StartsWithSegments(OpenAiChatApi.CompletionsPath));

    public static IResult Result(int status, string message, string? param = null, string? code = null) =>
        Results.Json(Body(status, message, param, code), statusCode: status);

    public static Task WriteAsync(HttpContext context, int status, string message, string? code = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(Body(status, message, null, code));
    }

    private static object Body(int status, string message, string? param, string? code) => new
    {
        error = new
        {
            message,
            type = status switch
            {
                401 => "authentication_error",
                403 => "permission_error",
                404 => "invalid_request_error",
                429 => "rate_limit_error",
                >= 500 => "server_error",
                _ => "invalid_request_error",
            },
            param,
            code = code ?? status switch
            {
                401 => "invalid_api_key",
                429 => "rate_limit_exceeded",
                _ => null,
            },
        },
    };
}
