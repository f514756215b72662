using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace OrleansRag.Client;

/// <summary>
/// A collection as a Microsoft.Extensions.AI <see cref="IChatClient"/>, so a .NET application can use OrleansRag wherever
/// it takes a chat client. The last user message is the question and the earlier messages the conversation it
/// follows (condensed by the cluster, nothing stored); with <see cref="ChatOptions.ConversationId"/> set to a
/// conversation's id (<see cref="IRagClient.CreateConversationAsync"/>) the cluster keeps the turns instead and only
/// the last message is sent. The answer's text carries [n] markers; each citation is a <see cref="CitationAnnotation"/>
/// on the text (title, snippet, FileId = document id), and the response's AdditionalProperties hold "citations" (the
/// <see cref="Citation"/> list) and "standaloneQuestion".
/// </summary>
public sealed class RagChatClient(IRagClient rag, string collection, SearchOptions? searchOptions = null) : IChatClient
{
    private readonly ChatClientMetadata _metadata = new("OrleansRag", defaultModelId: collection);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (question, history) = Split(messages);
        var answer = options?.ConversationId is { Length: > 0 } conversation
            ? await rag.SendMessageAsync(collection, conversation, question, searchOptions, cancellationToken)
            : await rag.AskAsync(collection, question, history, searchOptions, cancellationToken);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, [Text(answer)]))
        {
            ConversationId = answer.ConversationId,
            ModelId = collection,
            FinishReason = ChatFinishReason.Stop,
            CreatedAt = DateTimeOffset.UtcNow,
            AdditionalProperties = Properties(answer),
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (question, history) = Split(messages);
        var events = options?.ConversationId is { Length: > 0 } conversation
            ? rag.SendMessageStreamAsync(collection, conversation, question, searchOptions, cancellationToken)
            : rag.AskStreamAsync(collection, question, history, searchOptions, cancellationToken);
        await foreach (var item in events.WithCancellation(cancellationToken))
        {
            switch (item.Kind)
            {
                case AskStreamEventKind.Token:
                    yield return new ChatResponseUpdate(ChatRole.Assistant, item.Text) { ModelId = collection };
                    break;
                case AskStreamEventKind.Done:
                    var answer = item.Response!;
                    var citations = new TextContent("") { Annotations = Annotations(answer) };
                    yield return new ChatResponseUpdate(ChatRole.Assistant, [citations])
                    {
                        ModelId = collection,
                        ConversationId = answer.ConversationId,
                        FinishReason = ChatFinishReason.Stop,
                        AdditionalProperties = Properties(answer),
                    };
                    break;
                default:
                    throw new InvalidOperationException(item.Error ?? "The answer stream failed.");
            }
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : serviceType.IsInstanceOfType(rag) ? rag
            : null;
    }

    public void Dispose()
    {
    }

    /// <summary>
    /// The question (the last message, a user's) and the earlier turns: each user message with the assistant reply after
    /// it. System messages are instructions for a model, not part of what is retrieved. The most recent
    /// <see cref="RagConstants.MaxHistoryTurns"/> turns are kept, and texts beyond the history limits are cut.
    /// </summary>
    public static (string Question, IReadOnlyList<ChatTurn> History) Split(IEnumerable<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages.Where(m => m.Role == ChatRole.User || m.Role == ChatRole.Assistant).ToList();
        if (list.Count == 0 || list[^1].Role != ChatRole.User || string.IsNullOrWhiteSpace(list[^1].Text))
        {
            throw new ArgumentException("The last message must be the user's question, with text.", nameof(messages));
        }

        var history = new List<ChatTurn>();
        string? pending = null;
        foreach (var message in list.Take(list.Count - 1))
        {
            if (message.Role == ChatRole.User)
            {
                if (pending is not null)
                {
                    history.Add(Turn(pending, ""));
                }

                pending = message.Text;
            }
            else if (pending is not null)
            {
                history.Add(Turn(pending, message.Text));
                pending = null;
            }
        }

        if (pending is not null)
        {
            history.Add(Turn(pending, ""));
        }

        return (list[^1].Text, [.. history.Where(t => !string.IsNullOrWhiteSpace(t.Question)).TakeLast(RagConstants.MaxHistoryTurns)]);

        static ChatTurn Turn(string question, string answer) => new(
            question.Length <= RagConstants.MaxQueryLength ? question : question[..RagConstants.MaxQueryLength],
            answer.Length <= RagConstants.MaxHistoryAnswerLength ? answer : answer[..RagConstants.MaxHistoryAnswerLength]);
    }

    private static TextContent Text(AskResponse answer) => new(answer.Answer) { Annotations = Annotations(answer) };

    private static List<AIAnnotation> Annotations(AskResponse answer) =>
        [.. answer.Citations.Select(c => new CitationAnnotation { Title = c.Title, Snippet = c.Snippet, FileId = c.DocumentId })];

    private static AdditionalPropertiesDictionary Properties(AskResponse answer) => new()
    {
        ["citations"] = answer.Citations,
        ["standaloneQuestion"] = answer.StandaloneQuestion,
    };
}

/// <summary>Turns a collection into an <see cref="IChatClient"/>.</summary>
public static class RagChatClientExtensions
{
    /// <summary>The collection as a chat client (see <see cref="RagChatClient"/>).</summary>
    public static IChatClient AsChatClient(this IRagClient rag, string collection, SearchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rag);
        RagValidation.ThrowIfInvalid(RagValidation.CheckId(nameof(collection), collection), nameof(collection));
        return new RagChatClient(rag, collection, options);
    }
}
